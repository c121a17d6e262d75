"""A reported WGS84 position as a PIDF-LO document (RFC 4119, RFC 5491), the form an EIDO
location component carries its position in (`locationByValue`).

A position with an accuracy is a GML circle of that radius in metres around the point; one
without is a GML point. Coordinates are `lat lon` in EPSG:4326. `gp:method` is given only for
the sources that have an exact PIDF-LO method token (gps, cell, manual); for the others
(network, aml) the method is left out and the caller names the source in words."""

from __future__ import annotations

from datetime import datetime
from xml.sax.saxutils import quoteattr

from netalarm.core.clock import iso

WGS84 = "urn:ogc:def:crs:EPSG::4326"
METRE = "urn:ogc:def:uom:EPSG::9001"
METHODS = {"gps": "GPS", "cell": "Cell", "manual": "Manual"}


def position(
    entity: str, *, lat: float, lon: float, accuracy_m: float | None, source: str | None, at: datetime
) -> str:
    """The PIDF-LO XML of one position of `entity` (a URI), reported at `at`."""
    pos = f"<gml:pos>{lat!r} {lon!r}</gml:pos>"
    if accuracy_m is None:
        shape = f'<gml:Point srsName="{WGS84}">{pos}</gml:Point>'
    else:
        radius = f'<gs:radius uom="{METRE}">{float(accuracy_m)!r}</gs:radius>'
        shape = f'<gs:Circle srsName="{WGS84}">{pos}{radius}</gs:Circle>'
    method = f"<gp:method>{METHODS[source]}</gp:method>" if source in METHODS else ""
    return (
        '<presence xmlns="urn:ietf:params:xml:ns:pidf"'
        ' xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"'
        ' xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10"'
        ' xmlns:gml="http://www.opengis.net/gml"'
        ' xmlns:gs="http://www.opengis.net/pidflo/1.0"'
        f" entity={quoteattr(entity)}>"
        '<dm:device id="reporter"><gp:geopriv>'
        f"<gp:location-info>{shape}</gp:location-info>"
        f"<gp:usage-rules/>{method}</gp:geopriv>"
        f"<dm:timestamp>{iso(at)}</dm:timestamp></dm:device></presence>"
    )
