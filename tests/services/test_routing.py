"""Routing: an alarm belongs to the deepest centre whose jurisdiction holds its position."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.core.errors import Conflict, Invalid, NotFound
from netalarm.routing import service as routing_service
from netalarm.routing.geo import normalise_geojson
from netalarm.routing.models import Centre
from tests.support import factories
from tests.support.factories import Tree, square


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


NORTH = (22.9, 114.45)  # in the city, in no district


async def test_a_centre_added_in_this_process_takes_its_alarms_at_once(session: AsyncSession) -> None:
    t = await factories.tree(session)
    assert (await routing_service.route(session, t.city, *NORTH)).code == t.city.code
    north = await routing_service.add_centre(
        session, code="N" + t.city.code, name="North", parent_code=t.city.code, geojson=square(114.4, 22.85)
    )
    assert (await routing_service.route(session, t.city, *NORTH)).code == north.code


async def test_a_centre_added_by_another_process_takes_its_alarms_within_the_stamp_time(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routing_service, "STAMP_TTL_S", 0.3)
    t = await factories.tree(session)
    assert (await routing_service.route(session, t.city, *NORTH)).code == t.city.code
    # As another process would: the row appears, this process's routers are not told.
    north = Centre(
        code="N" + t.city.code,
        name="North",
        parent_id=t.city.id,
        path=f"{t.city.path}N{t.city.code}/",
        depth=t.city.depth + 1,
        jurisdiction=normalise_geojson(square(114.4, 22.85)),
    )
    session.add(north)
    await session.flush()
    assert (await routing_service.route(session, t.city, *NORTH)).code == t.city.code
    await asyncio.sleep(0.35)
    assert (await routing_service.route(session, t.city, *NORTH)).code == north.code


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
