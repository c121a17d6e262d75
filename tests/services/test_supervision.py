"""Today's SLA figures for a supervisor: which incidents count, which are within the time
to accept, and the median time to accept."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts import service as accounts_service
from netalarm.accounts.models import SeatToken
from netalarm.accounts.service import PRESENCE_S, SeatIdentity
from netalarm.core.clock import iso, utcnow
from netalarm.incidents import sla
from netalarm.incidents.models import Incident
from netalarm.supervision.service import compliance, overview, start_of_day
from tests.support import factories
from tests.support.factories import Tree

SLA = {"P1": 15.0, "P2": 30.0, "P3": 120.0, "P4": 600.0}
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def incident(priority: str, age_s: float, accepted_after_s: float | None = None) -> Incident:
    created = NOW - timedelta(seconds=age_s)
    accepted = created + timedelta(seconds=accepted_after_s) if accepted_after_s is not None else None
    status = "accepted" if accepted else "received"
    return Incident(priority=priority, created_at=created, accepted_at=accepted, status=status)


def test_accepted_in_time_late_and_overdue_count_waiting_in_time_does_not() -> None:
    figures = compliance(
        [
            incident("P1", 100, accepted_after_s=10),  # within 15 s
            incident("P1", 100, accepted_after_s=20),  # late
            incident("P2", 100),  # not accepted, 30 s passed: counts against
            incident("P3", 60),  # not accepted, 120 s not yet passed: not counted
        ],
        SLA,
        NOW,
    )
    assert figures == {
        "incidents": 4,
        "missed_then_left": 0,
        "counted": 3,
        "within_sla": 1,
        "share_within_sla": 1 / 3,
        "median_time_to_accept_s": 15.0,
        "waiting_now": 2,
    }


def test_a_quiet_day_has_no_share_and_no_median() -> None:
    figures = compliance([], SLA, NOW)
    assert figures["share_within_sla"] is None and figures["median_time_to_accept_s"] is None


def test_the_day_starts_at_local_midnight() -> None:
    assert start_of_day(NOW, "Asia/Shanghai") == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    assert start_of_day(datetime(2026, 11, 25, 17, 0, tzinfo=UTC), "Asia/Shanghai") == datetime(
        2026, 11, 25, 16, 0, tzinfo=UTC
    )


def test_a_handed_over_case_is_timed_from_when_its_centre_got_it() -> None:
    transferred = incident("P1", 100, accepted_after_s=90)
    transferred.sla_started_at = NOW - timedelta(seconds=20)  # arrived 80 s after it was made
    figures = compliance([transferred], SLA, NOW)
    assert (figures["within_sla"], figures["median_time_to_accept_s"]) == (1, 10.0)


async def test_a_miss_stays_with_the_district_after_the_watchdog_escalates_the_case(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT, silent=True)
    limits = sla.Limits({"P1": 10.0, "P2": 20.0, "P3": 60.0, "P4": 300.0})
    created = made.incident.created_at
    await sla.sweep(session, limits, created + timedelta(seconds=11))
    assert (made.incident.id, "escalated") in await sla.sweep(
        session, limits, created + timedelta(seconds=21)
    )
    district = SeatIdentity(uuid.uuid4(), "a.sup", "supervisor", t.a.id, t.a.code)
    today = (await overview(session, district, sla_s=limits.seconds, idle_timeout_s=600, timezone="UTC"))[
        "today"
    ]
    assert (today["missed_then_left"], today["counted"], today["within_sla"]) == (1, 1, 0)
    assert today["share_within_sla"] == 0


async def test_a_seat_whose_console_stopped_polling_is_signed_in_but_away(session: AsyncSession) -> None:
    t = await factories.tree(session)
    token, _, _ = await accounts_service.login(
        session, username=t.a_seat.username, password="password-1", ttl_s=3600
    )
    supervisor = SeatIdentity(uuid.uuid4(), "a.sup", "supervisor", t.a.id, t.a.code)

    async def shown() -> dict[str, Any]:
        seats = (await overview(session, supervisor, sla_s=SLA, idle_timeout_s=600, timezone="UTC"))["seats"]
        [seat] = [s for s in seats if s["username"] == t.a_seat.username]
        return seat

    assert (await shown())["present"] is True  # just signed in
    stored = await session.get(SeatToken, hashlib.sha256(token.encode()).hexdigest())
    assert stored is not None
    gone = utcnow() - timedelta(seconds=PRESENCE_S + 5)
    stored.seen_at = stored.created_at = stored.last_used_at = gone
    await session.flush()
    away = await shown()
    assert away["present"] is False and away["last_seen_at"] == iso(gone)
    # A background poll (no activity) is enough to be back at the console.
    await accounts_service.seat_from_token(session, token, idle_timeout_s=600, activity=False)
    assert (await shown())["present"] is True
