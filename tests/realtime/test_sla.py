"""The SLA watchdog and escalation: one alert when an incident waits past its priority's
time, and at twice that time the parent centre called in once — the incident escalated to it
when nobody is at its own centre's desks, or kept there with the parent alerted to help while
someone is — however many watchdogs run."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.accounts import service as accounts_service
from netalarm.accounts.models import SeatToken
from netalarm.core.clock import utcnow
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


async def _sign_in(session: AsyncSession, username: str) -> SeatToken:
    token, _, _ = await accounts_service.login(session, username=username, password="password-1", ttl_s=3600)
    stored = await session.get(SeatToken, hashlib.sha256(token.encode()).hexdigest())
    assert stored is not None
    return stored


async def test_while_a_seat_of_its_centre_is_at_its_desk_the_parent_is_alerted_and_it_stays(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    await _sign_in(session, t.a_seat.username)
    made = await factories.alarm(session, t.city, Tree.A_POINT, silent=True)
    created, iid = made.incident.created_at, made.incident.id
    await sla.sweep(session, LIMITS, created + timedelta(seconds=11))
    assert (iid, "parent_alerted") in await sla.sweep(session, LIMITS, created + timedelta(seconds=21))
    assert made.incident.centre_id == t.a.id and made.incident.status == "received"
    for later in (30, 300):  # once: it is the parent's to help with from now on
        assert iid not in [i for i, _ in await sla.sweep(session, LIMITS, created + timedelta(seconds=later))]
    entries = await timeline_service.entries(session, iid)
    assert [e.type for e in entries] == ["alarm_received", "sla_alert", "sla_alert"]
    assert (entries[2].data["stage"], entries[2].data["centre"], entries[2].data["to"]) == (
        "parent_alerted",
        t.a.code,
        t.city.code,
    )
    # Its own seats can still take it.
    accepted = await actions.act(session, t.a_seat, iid, "accept")
    assert accepted.status == "accepted" and accepted.centre_id == t.a.id


async def test_a_centre_whose_seats_are_gone_or_only_signed_in_elsewhere_escalates_as_ever(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    gone = await _sign_in(session, t.a_seat.username)
    gone.seen_at = gone.created_at = utcnow() - timedelta(seconds=accounts_service.PRESENCE_S + 5)
    await _sign_in(session, t.b_seat.username)  # a sibling district's seat is no help to A
    await _sign_in(session, t.city_seat.username)  # nor the parent's own: it is the one called in
    await session.flush()
    made = await factories.alarm(session, t.city, Tree.A_POINT, silent=True)
    created, iid = made.incident.created_at, made.incident.id
    await sla.sweep(session, LIMITS, created + timedelta(seconds=11))
    assert (iid, "escalated") in await sla.sweep(session, LIMITS, created + timedelta(seconds=21))
    assert made.incident.centre_id == t.city.id


async def test_a_disabled_seat_does_not_keep_its_centres_cases(session: AsyncSession) -> None:
    t = await factories.tree(session)
    await _sign_in(session, t.a_seat.username)
    await accounts_service.disable_seat(session, username=t.a_seat.username)
    made = await factories.alarm(session, t.city, Tree.A_POINT, silent=True)
    created, iid = made.incident.created_at, made.incident.id
    await sla.sweep(session, LIMITS, created + timedelta(seconds=11))
    assert (iid, "escalated") in await sla.sweep(session, LIMITS, created + timedelta(seconds=21))


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


async def test_two_server_processes_raise_exactly_one_alert_then_call_the_parent_in_once(pair: Pair) -> None:
    city = await Push.seat(pair.b.url, "shenzhen.net")
    district = await Push.seat(pair.a.url, "futian.net")  # at the district's desk: it keeps the case
    try:
        alarm = raise_alarm(pair.a.url, FUTIAN, silent=True)
        mine = alarm["incident_id"]
        alert = await district.expect(of("sla_alert", mine, stage="alert"), within=5)
        assert alert["data"]["stage"] == "alert" and alert["data"]["centre"] == "440304"
        called = await city.expect(of("sla_alert", mine, stage="parent_alerted"), within=5)
        assert (called["data"]["centre"], called["data"]["to"]) == ("440304", "440300")
        await district.expect(of("sla_alert", mine, stage="parent_alerted"))
        await asyncio.sleep(PAIR_SLA_P1_S)  # several more ticks of both watchdogs
        for seat in (city, district):
            await seat.settle(0.3)
        for seat in (city, district):
            seen = [(e["type"], e["data"].get("stage")) for e in seat.events if e["incident_id"] == mine]
            assert seen == [("alarm_received", None), ("sla_alert", "alert"), ("sla_alert", "parent_alerted")]
        headers = seat_headers(pair.b.url, "shenzhen.net")
        async with httpx.AsyncClient(headers=headers) as http:
            incident = (await http.get(f"{pair.b.url}/api/v1/incidents/{mine}")).json()
        assert incident["centre"] == "440304" and incident["status"] == "received"
    finally:
        await city.close()
        await district.close()
