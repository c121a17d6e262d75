"""Jurisdiction geometry: GeoJSON in, a (Multi)Polygon out, and point-in-area tests."""

from __future__ import annotations

from typing import Any

import orjson
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.ops import unary_union

from netalarm.core.errors import Invalid


def normalise_geojson(doc: Any) -> dict[str, Any]:
    """A Polygon, MultiPolygon, Feature or FeatureCollection as one Polygon/MultiPolygon
    geometry dict; anything else raises `Invalid` naming `geojson`."""
    if not isinstance(doc, dict):
        raise Invalid("GeoJSON must be an object", field="geojson")
    kind = doc.get("type")
    geometries: list[Any]
    if kind == "FeatureCollection":
        geometries = [f.get("geometry") for f in doc.get("features") or [] if isinstance(f, dict)]
    elif kind == "Feature":
        geometries = [doc.get("geometry")]
    else:
        geometries = [doc]
    shapes = []
    for geometry in geometries:
        if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            raise Invalid("jurisdiction must be made of Polygon or MultiPolygon geometries", field="geojson")
        try:
            shapes.append(shape(geometry))
        except (ValueError, TypeError, AttributeError, IndexError) as exc:
            raise Invalid(f"malformed geometry: {exc}", field="geojson") from exc
    if not shapes:
        raise Invalid("GeoJSON holds no geometry", field="geojson")
    merged = unary_union(shapes)
    if not isinstance(merged, Polygon | MultiPolygon) or merged.is_empty or not merged.is_valid:
        raise Invalid("jurisdiction is not a valid area", field="geojson")
    mapping: dict[str, Any] = orjson.loads(orjson.dumps(merged.__geo_interface__))
    return mapping


def prepared_area(jurisdiction: dict[str, Any]) -> Any:
    """The jurisdiction as a prepared geometry, for fast repeated point tests
    (`shapely.intersects_xy`)."""
    area = shape(jurisdiction)
    shapely.prepare(area)
    return area
