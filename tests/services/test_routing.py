"""Routing: an alarm belongs to the deepest centre whose jurisdiction holds its position."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.core.errors import Conflict, Invalid, NotFound
from netalarm.routing import service as routing_service
from netalarm.routing.geo import normalise_geojson
from tests.support import factories
from tests.support.factories import Tree


async def test_a_point_in_a_district_routes_to_that_district(session: AsyncSession) -> None:
    t = await factories.tree(session)
    assert (await routing_service.route(session, t.city, *Tree.A_POINT)).code == t.a.code
    assert (await routing_service.route(session, t.city, *Tree.B_POINT)).code == t.b.code


async def test_a_point_in_the_city_but_no_district_routes_to_the_city(session: AsyncSession) -> None:
    t = await factories.tree(session)
    assert (await routing_service.route(session, t.city, 22.9, 114.45)).code == t.city.code


async def test_no_position_or_outside_every_jurisdiction_routes_to_the_root(session: AsyncSession) -> None:
    t = await factories.tree(session)
    assert (await routing_service.route(session, t.city, None, None)).code == t.city.code
    assert (await routing_service.route(session, t.city, *Tree.OUTSIDE)).code == t.city.code


async def test_the_subtree_holds_the_centre_and_its_descendants_only(session: AsyncSession) -> None:
    t = await factories.tree(session)
    assert {c.code for c in await routing_service.subtree(session, t.city)} == {
        t.city.code,
        t.a.code,
        t.b.code,
    }
    assert {c.code for c in await routing_service.subtree(session, t.a)} == {t.a.code}
    assert await routing_service.is_within(session, t.a.id, t.city.id)
    assert not await routing_service.is_within(session, t.a.id, t.b.id)


async def test_duplicate_codes_and_unknown_parents_are_refused(session: AsyncSession) -> None:
    t = await factories.tree(session)
    with pytest.raises(Conflict):
        await routing_service.add_centre(session, code=t.a.code, name="again")
    with pytest.raises(NotFound):
        await routing_service.add_centre(session, code="Z" + t.a.code, name="orphan", parent_code="no-such")


@pytest.mark.parametrize(
    "doc",
    [
        factories.square(114.0, 22.5),
        {"type": "Feature", "geometry": factories.square(114.0, 22.5), "properties": {}},
        {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": factories.square(114.0, 22.5)}],
        },
        {"type": "MultiPolygon", "coordinates": [factories.square(114.0, 22.5)["coordinates"]]},
    ],
)
def test_every_accepted_geojson_form_normalises_to_an_area(doc: dict[str, object]) -> None:
    assert normalise_geojson(doc)["type"] in ("Polygon", "MultiPolygon")


@pytest.mark.parametrize(
    "doc",
    [
        {"type": "Point", "coordinates": [114.0, 22.5]},
        {"type": "FeatureCollection", "features": []},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]},
        "not an object",
    ],
)
def test_geojson_that_is_not_an_area_is_refused(doc: object) -> None:
    with pytest.raises(Invalid) as refused:
        normalise_geojson(doc)
    assert refused.value.field == "geojson"
