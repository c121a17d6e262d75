// The incident map: the reporter's position with its accuracy circle, the trail of live
// updates and the jurisdiction outlines. Works without tiles (outlines only) when the
// tile URL setting is empty.
import * as L from "/vendor/leaflet/dist/leaflet-src.esm.js";

let outlines = null;

// The shapes are for the eye and the mouse (their tooltips); the position is in the incident's
// text beside the map, so keyboard users do not tab through unnamed outlines and dots.
function untabbable(layer) {
  if (layer.eachLayer) layer.eachLayer(untabbable);
  const element = layer.getElement && layer.getElement();
  if (element) element.setAttribute("tabindex", "-1");
}

async function jurisdictions() {
  if (!outlines) {
    outlines = fetch("/api/v1/jurisdictions").then((r) => (r.ok ? r.json() : { type: "FeatureCollection", features: [] }));
  }
  return outlines;
}

export class IncidentMap {
  constructor(element, config) {
    this.map = L.map(element, { zoomControl: true, attributionControl: Boolean(config.map_tile_url) });
    if (config.map_tile_url) {
      L.tileLayer(config.map_tile_url, { attribution: config.map_tile_attribution, maxZoom: 19 }).addTo(this.map);
    }
    this.layer = L.layerGroup().addTo(this.map);
    this.map.setView([22.54, 114.05], 11);
    jurisdictions().then((geo) => {
      const shapes = L.geoJSON(geo, {
        style: { color: "#3b5b92", weight: 1.5, fill: true, fillOpacity: 0.04 },
        onEachFeature: (f, layer) => layer.bindTooltip(`${f.properties.name} ${f.properties.code}`, { sticky: true }),
      }).addTo(this.map).bringToBack();
      untabbable(shapes);
    });
  }

  show(incident, trail) {
    this.draw(incident, trail);
    untabbable(this.layer);
  }

  draw(incident, trail) {
    this.layer.clearLayers();
    this.map.invalidateSize();
    const where = incident.location;
    if (trail.length > 1) {
      L.polyline(trail.map((p) => [p.lat, p.lon]), { color: "#d97706", weight: 3, dashArray: "4 4" }).addTo(this.layer);
      trail.forEach((p) => L.circleMarker([p.lat, p.lon], { radius: 3, color: "#d97706" }).addTo(this.layer));
    }
    if (!where) return;
    const centre = [where.lat, where.lon];
    if (where.accuracy_m) {
      L.circle(centre, { radius: where.accuracy_m, color: "#dc2626", weight: 1, fillOpacity: 0.15 }).addTo(this.layer);
    }
    L.circleMarker(centre, { radius: 7, color: "#fff", weight: 2, fillColor: "#dc2626", fillOpacity: 1 })
      .bindTooltip(`${where.lat.toFixed(5)}, ${where.lon.toFixed(5)}`)
      .addTo(this.layer);
    // A trail is shown whole; a single position in its district, outlines in view.
    if (trail.length > 1) {
      this.map.fitBounds(L.latLngBounds([centre, ...trail.map((p) => [p.lat, p.lon])]).pad(0.6), { maxZoom: 16 });
    } else {
      this.map.setView(centre, 12);
    }
  }
}
