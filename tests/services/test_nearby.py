"""Open cases reported near one another (likely duplicates of one event): within the radius
and an hour of each other, open, visible to the seat, nearest first. Both back ends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.incidents import actions, nearby
from netalarm.incidents.models import Incident
from tests.support import factories
from tests.support.factories import Tree

# Metres per degree of latitude; a point `m` metres north of `point`.
PER_DEGREE = nearby.EARTH_RADIUS_M * 3.141592653589793 / 180


def north(point: tuple[float, float], m: float) -> tuple[float, float]:
    return point[0] + m / PER_DEGREE, point[1]


async def test_the_open_cases_within_the_radius_come_nearest_first_with_their_distance(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    here = await factories.alarm(session, t.city, Tree.A_POINT, category="fire", description="smoke")
    far = await factories.alarm(session, t.city, north(Tree.A_POINT, 300), description="flames on the roof")
    near = await factories.alarm(session, t.city, north(Tree.A_POINT, 40), category="fire")
    await factories.alarm(session, t.city, north(Tree.A_POINT, 900))  # outside 500 m
    await factories.alarm(session, t.city)  # no position

    found = await nearby.nearby(session, t.city_seat, here.incident)

    assert [(f["case_number"], f["distance_m"]) for f in found] == [
        (near.incident.case_number, 40),
        (far.incident.case_number, 300),
    ]
    assert found[1]["description"] == "flames on the roof" and found[0]["category"] == "fire"
    wider = await nearby.nearby(session, t.city_seat, here.incident, radius_m=1000)
    assert len(wider) == 3


async def test_closed_cases_other_hours_and_cases_the_seat_may_not_see_are_left_out(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    here = await factories.alarm(session, t.city, Tree.A_POINT)
    closed = await factories.alarm(session, t.city, north(Tree.A_POINT, 20))
    await actions.act(session, t.city_seat, closed.incident.id, "close", disposition="test")
    earlier = await factories.alarm(session, t.city, north(Tree.A_POINT, 30))
    await session.execute(
        update(Incident)
        .where(Incident.id == earlier.incident.id)
        .values(created_at=here.incident.created_at - timedelta(hours=2))
    )
    await session.flush()
    kept = await factories.alarm(session, t.city, north(Tree.A_POINT, 60))

    found = await nearby.nearby(session, t.city_seat, here.incident)
    assert [f["id"] for f in found] == [str(kept.incident.id)]
    # District B's seat sees nothing of district A.
    assert await nearby.nearby(session, t.b_seat, here.incident) == []


async def test_a_case_without_a_position_has_no_neighbours(session: AsyncSession) -> None:
    t = await factories.tree(session)
    blind = await factories.alarm(session, t.city)
    await factories.alarm(session, t.city, Tree.A_POINT)
    assert await nearby.nearby(session, t.city_seat, blind.incident) == []


@pytest.mark.parametrize(
    ("a", "b", "metres"),
    [
        ((22.55, 114.05), (22.55, 114.05), 0),
        ((22.55, 114.05), (22.56, 114.05), 1112),  # 0.01° of latitude
        ((22.55, 114.05), (22.55, 114.06), 1027),  # 0.01° of longitude at 22.55° N
        ((0.0, 179.999), (0.0, -179.999), 222),  # across the date line
    ],
)
def test_distances_are_great_circle_metres(
    a: tuple[float, float], b: tuple[float, float], metres: int
) -> None:
    assert round(nearby.distance_m(*a, *b)) == metres
