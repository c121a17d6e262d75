// The map of the details form: Leaflet (from npm) with the centres' jurisdiction outlines,
// tiles only when a tile URL is configured, and a pin the reporter can drag or place by tapping.
import { api } from "./api.js";

const SHENZHEN = [22.5431, 114.0579];

// Leaflet's stylesheet, asked for with the first map rather than with the page: it is not
// needed before, and a first visit on a slow connection would wait for it to paint SOS.
function leafletStyles() {
  const href = "/vendor/leaflet/dist/leaflet.css";
  let link = document.querySelector(`link[href="${href}"]`);
  if (!link) {
    link = Object.assign(document.createElement("link"), { rel: "stylesheet", href });
    document.head.append(link);
  }
  if (link.sheet) return Promise.resolve();
  // A stylesheet that fails to load leaves a plainer map, not none.
  return new Promise((resolve) => {
    link.addEventListener("load", resolve, { once: true });
    link.addEventListener("error", resolve, { once: true });
  });
}

export async function showMap(element, position, config, label) {
  const [L] = await Promise.all([import("/vendor/leaflet/dist/leaflet-src.esm.js"), leafletStyles()]);
  const map = L.map(element, { attributionControl: Boolean(config.map_tile_url), zoomSnap: 0.5 });
  if (config.map_tile_url) {
    L.tileLayer(config.map_tile_url, { attribution: config.map_tile_attribution, maxZoom: 19 }).addTo(map);
  }
  let outlines = null;
  try {
    const shapes = await api.jurisdictions();
    outlines = L.geoJSON(shapes, {
      style: { color: "#1d4ed8", weight: 2, fillOpacity: 0.06 },
      // District names stay on the map: without tiles they are what the reporter recognises.
      onEachFeature: (feature, layer) => layer.bindTooltip(feature.properties.name, feature.properties.depth
        ? { permanent: true, direction: "center", className: "area-label" } : { sticky: true }),
    }).addTo(map);
  } catch {
    outlines = null;
  }
  const here = position.best();
  const start = here ? [here.lat, here.lon] : SHENZHEN;
  const pin = L.marker(start, {
    draggable: true,
    keyboard: true,
    title: label,
    alt: label,
    icon: L.divIcon({ className: "pin", html: "<span></span>", iconSize: [32, 32], iconAnchor: [16, 32] }),
  }).addTo(map);
  if (here) map.setView(start, 13);
  else if (outlines && outlines.getLayers().length) map.fitBounds(outlines.getBounds());
  else map.setView(start, 12);

  const place = (latlng) => position.setManual(+latlng.lat.toFixed(6), +latlng.lng.toFixed(6));
  pin.on("dragend", () => place(pin.getLatLng()));
  map.on("click", (event) => { pin.setLatLng(event.latlng); place(event.latlng); });
  let centred = Boolean(here);
  position.onChange(() => {
    const fix = position.fix;
    if (position.manual || !fix) return;
    pin.setLatLng([fix.lat, fix.lon]);
    if (!centred) map.setView([fix.lat, fix.lon], 13);
    centred = true;
  });
  return map;
}
