"""The SLA watchdog and escalation: one alert when an incident waits past its priority's
time, one escalation to the parent centre at twice that time, however many watchdogs run."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.core.db import transaction
from netalarm.core.errors import Conflict
from netalarm.incidents import actions, sla
from netalarm.timeline import service as timeline_service
from tests.realtime.conftest import PAIR_SLA_P1_S, Pair
from tests.support import factories
from tests.support.factories import Tree
from tests.support.http import FUTIAN, raise_alarm, seat_headers
from tests.support.push import Push, of

LIMITS = sla.Limits({"P1": 10.0, "P2": 20.0, "P3": 60.0, "P4": 300.0})


async def _types(session: AsyncSession, incident_id: object) -> list[str]:
    return [e.type for e in await timeline_service.entries(session, incident_id)]  # type: ignore[arg-type]


async def test_an_unaccepted_incident_raises_one_alert_once_its_time_is_up(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT, silent=True)
    created, iid = made.incident.created_at, made.incident.id
    assert made.incident.priority == "P1"
    assert iid not in [i for i, _ in await sla.sweep(session, LIMITS, created + timedelta(seconds=9))]
    raised = await sla.sweep(session, LIMITS, created + timedelta(seconds=10.5))
    assert (iid, "alert") in raised
    assert (iid, "alert") not in await sla.sweep(session, LIMITS, created + timedelta(seconds=12))
    entries = await timeline_service.entries(session, iid)
    assert [e.type for e in entries] == ["alarm_received", "sla_alert"]
    assert entries[-1].actor == "system:sla"
    assert entries[-1].data["stage"] == "alert" and entries[-1].data["centre"] == t.a.code


async def test_still_unaccepted_at_twice_the_time_it_is_escalated_to_the_parent_once(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT, silent=True)
    created, iid = made.incident.created_at, made.incident.id
    await sla.sweep(session, LIMITS, created + timedelta(seconds=11))
    assert (iid, "escalated") in await sla.sweep(session, LIMITS, created + timedelta(seconds=21))
    assert made.incident.centre_id == t.city.id and made.incident.status == "received"
    for later in (30, 300):
        assert iid not in [i for i, _ in await sla.sweep(session, LIMITS, created + timedelta(seconds=later))]
    entries = await timeline_service.entries(session, iid)
    assert [e.type for e in entries] == ["alarm_received", "sla_alert", "escalated", "sla_alert"]
    assert entries[2].data == {
        "from": t.a.code,
        "to": t.city.code,
        "reason": "sla",
        "previous_status": "received",
        "case_number": made.incident.case_number,
    }
    assert entries[3].data["stage"] == "escalated" and entries[3].data["centre"] == t.city.code


async def test_both_stages_come_in_order_when_the_watchdog_was_away(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT, category="fraud")
    assert made.incident.priority == "P3"
    raised = await sla.sweep(session, LIMITS, made.incident.created_at + timedelta(seconds=125))
    assert [s for i, s in raised if i == made.incident.id] == ["alert", "escalated"]


async def test_an_accepted_incident_raises_nothing(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT, silent=True)
    await actions.act(session, t.a_seat, made.incident.id, "accept")
    raised = await sla.sweep(session, LIMITS, made.incident.created_at + timedelta(hours=1))
    assert made.incident.id not in [i for i, _ in raised]
    assert await _types(session, made.incident.id) == ["alarm_received", "accepted"]


async def test_a_root_centre_has_nobody_above_so_the_second_breach_alerts_it_again(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.OUTSIDE, silent=True)
    assert made.incident.centre_id == t.city.id
    raised = await sla.sweep(session, LIMITS, made.incident.created_at + timedelta(seconds=25))
    assert [s for i, s in raised if i == made.incident.id] == ["alert", "overdue"]
    assert made.incident.centre_id == t.city.id


async def test_a_seat_escalates_by_hand_and_the_parent_centre_must_accept_anew(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT)
    await actions.act(session, t.a_seat, made.incident.id, "accept")
    incident = await actions.act(session, t.a_seat, made.incident.id, "escalate")
    assert incident.centre_id == t.city.id
    assert incident.status == "received" and incident.accepted_by is None
    assert incident.sla_started_at is not None  # the parent's clock starts now
    entries = await timeline_service.entries(session, incident.id)
    assert entries[-1].type == "escalated" and entries[-1].data["reason"] == "manual"
    assert entries[-1].data["previous_status"] == "accepted"
    with pytest.raises(Conflict) as at_root:
        async with session.begin_nested():
            await actions.act(session, t.city_seat, incident.id, "escalate")
    assert at_root.value.code == "no_parent_centre"


async def test_an_escalated_incident_is_timed_from_its_arrival_at_the_parent(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT, silent=True)
    await actions.act(session, t.a_seat, made.incident.id, "accept")
    incident = await actions.act(session, t.a_seat, made.incident.id, "escalate")
    arrived = made.incident.created_at + timedelta(seconds=8)
    incident.sla_started_at = arrived  # reached the city eight seconds after it was made
    await session.flush()
    assert incident.id not in [i for i, _ in await sla.sweep(session, LIMITS, arrived + timedelta(seconds=9))]
    assert (incident.id, "alert") in await sla.sweep(session, LIMITS, arrived + timedelta(seconds=10.5))


async def test_a_closed_incident_cannot_be_escalated(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT)
    await actions.act(session, t.a_seat, made.incident.id, "close", disposition="prank")
    with pytest.raises(Conflict):
        await actions.act(session, t.a_seat, made.incident.id, "escalate")


async def test_watchdogs_sweeping_at_once_raise_one_alert_and_one_escalation(
    own_database: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(own_database) as session:
        t = await factories.tree(session)
        made = [await factories.alarm(session, t.city, Tree.A_POINT, silent=True) for _ in range(3)]
    latest = max(m.incident.created_at for m in made)

    async def watchdog(seconds: float) -> list[tuple[object, str]]:
        async with transaction(own_database) as session:
            return list(await sla.sweep(session, LIMITS, latest + timedelta(seconds=seconds)))

    alerts = [r for rs in await asyncio.gather(*(watchdog(11) for _ in range(4))) for r in rs]
    escalations = [r for rs in await asyncio.gather(*(watchdog(21) for _ in range(4))) for r in rs]
    assert sorted(alerts) == sorted((m.incident.id, "alert") for m in made)
    assert sorted(escalations) == sorted((m.incident.id, "escalated") for m in made)
    async with own_database() as session:
        for m in made:
            assert await _types(session, m.incident.id) == [
                "alarm_received",
                "sla_alert",
                "escalated",
                "sla_alert",
            ]


async def test_two_server_processes_raise_exactly_one_alert_then_one_escalation(pair: Pair) -> None:
    city = await Push.seat(pair.b.url, "shenzhen.net")
    district = await Push.seat(pair.a.url, "futian.net")
    try:
        alarm = raise_alarm(pair.a.url, FUTIAN, silent=True)
        mine = alarm["incident_id"]
        alert = await district.expect(of("sla_alert", mine, stage="alert"), within=5)
        assert alert["data"]["stage"] == "alert" and alert["data"]["centre"] == "440304"
        escalated = await city.expect(of("sla_alert", mine, stage="escalated"), within=5)
        assert escalated["data"]["centre"] == "440300"
        await district.expect(of("escalated", mine))
        await asyncio.sleep(PAIR_SLA_P1_S)  # several more ticks of both watchdogs
        for seat in (city, district):
            await seat.settle(0.3)
        seen_by_city = [e["type"] for e in city.events if e["incident_id"] == mine]
        assert seen_by_city == ["alarm_received", "sla_alert", "escalated", "sla_alert"]
        # The district saw its alert and the hand-over, not the city's alert.
        seen_by_district = [e["type"] for e in district.events if e["incident_id"] == mine]
        assert seen_by_district == ["alarm_received", "sla_alert", "escalated"]
        headers = seat_headers(pair.b.url, "shenzhen.net")
        async with httpx.AsyncClient(headers=headers) as http:
            incident = (await http.get(f"{pair.b.url}/api/v1/incidents/{mine}")).json()
        assert incident["centre"] == "440300" and incident["status"] == "received"
    finally:
        await city.close()
        await district.close()
