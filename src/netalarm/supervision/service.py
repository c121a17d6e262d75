"""The supervisor's overview of a centre's subtree: seats online, their open incidents, and
today's SLA compliance (share of incidents accepted within their priority's time to accept,
and the median time to accept). A miss belongs to the centre that held the case when its
time ran out, even after the case was escalated above it or transferred away."""

from __future__ import annotations

import statistics
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts.models import Seat, SeatToken
from netalarm.accounts.service import SeatIdentity, console_present
from netalarm.core.clock import iso, utcnow
from netalarm.core.errors import Forbidden
from netalarm.incidents.lifecycle import OPEN_STATUSES
from netalarm.incidents.models import Incident
from netalarm.routing import service as routing_service
from netalarm.routing.models import Centre
from netalarm.timeline.models import TimelineEntry

SUPERVISING_ROLES = ("supervisor", "admin")


def check_supervisor(seat: SeatIdentity) -> None:
    if seat.role not in SUPERVISING_ROLES:
        raise Forbidden("only a supervisor may see the overview", field="role")


def start_of_day(now: datetime, timezone: str) -> datetime:
    """Midnight of the local day that contains `now`, in UTC."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def compliance(
    incidents: list[Incident], sla_s: dict[str, float], now: datetime, *, missed_then_left: int = 0
) -> dict[str, Any]:
    """SLA figures over `incidents`, plus `missed_then_left` misses of cases that have left.
    An incident counts once it is accepted or its time to accept has run out; it is
    compliant if accepted within its priority's time, counted from when its centre got it
    (a hand-over restarts the clock, as the watchdog's does)."""
    counted = within = 0
    waits: list[float] = []
    for incident in incidents:
        limit = sla_s[incident.priority]
        started = incident.sla_started_at or incident.created_at
        if incident.accepted_at is not None:
            waited = (incident.accepted_at - started).total_seconds()
            waits.append(waited)
            counted += 1
            within += waited <= limit
        elif (now - started).total_seconds() > limit:
            counted += 1
    counted += missed_then_left
    return {
        "incidents": len(incidents),
        "missed_then_left": missed_then_left,
        "counted": counted,
        "within_sla": within,
        "share_within_sla": within / counted if counted else None,
        "median_time_to_accept_s": statistics.median(waits) if waits else None,
        "waiting_now": sum(1 for i in incidents if i.status == "received"),
    }


async def overview(
    session: AsyncSession,
    seat: SeatIdentity,
    *,
    sla_s: dict[str, float],
    idle_timeout_s: float,
    timezone: str,
) -> dict[str, Any]:
    """Seats of the supervisor's subtree with a live, not idle token, each with the open
    incidents it accepted and whether its console is there now (`present`: a console polls
    every few seconds, so one not seen for `accounts_service.PRESENCE_S` was closed or lost its network); and
    today's SLA compliance of the subtree."""
    check_supervisor(seat)
    now = utcnow()
    centres = await routing_service.subtree_ids(session, seat.centre_id)
    idle_since = now - timedelta(seconds=idle_timeout_s)
    online = await session.execute(
        select(
            Seat,
            Centre.code,
            SeatToken.last_used_at,
            SeatToken.created_at,
            SeatToken.seen_at,
            console_present(now).label("present"),
        )
        .join(SeatToken, SeatToken.seat_id == Seat.id)
        .join(Centre, Centre.id == Seat.centre_id)
        .where(
            Seat.centre_id.in_(centres),
            Seat.active.is_(True),
            SeatToken.expires_at > now,
            or_(SeatToken.last_used_at > idle_since, SeatToken.created_at > idle_since),
        )
    )
    seats: dict[str, dict[str, Any]] = {}
    for found, code, last_used, created, seen, present in online:
        last = max(t for t in (last_used, created) if t is not None)
        entry = seats.setdefault(
            found.username,
            {
                "username": found.username,
                "role": found.role,
                "centre": code,
                "last_active_at": None,
                "last_seen_at": None,
                "present": False,
                "open": [],
            },
        )
        if entry["last_active_at"] is None or iso(last) > entry["last_active_at"]:
            entry["last_active_at"] = iso(last)
        seen = seen or created
        if entry["last_seen_at"] is None or iso(seen) > entry["last_seen_at"]:
            entry["last_seen_at"] = iso(seen)
        entry["present"] = entry["present"] or bool(present)
    held = await session.scalars(
        select(Incident)
        .where(
            Incident.centre_id.in_(centres),
            Incident.status.in_(OPEN_STATUSES),
            Incident.accepted_by.in_(list(seats)),
        )
        .order_by(Incident.created_at)
    )
    for incident in held:
        seats[incident.accepted_by or ""]["open"].append(
            {"id": str(incident.id), "case_number": incident.case_number, "status": incident.status}
        )
    since = start_of_day(now, timezone)
    today = list(
        await session.scalars(
            select(Incident).where(Incident.centre_id.in_(centres), Incident.created_at >= since)
        )
    )
    left = await _missed_then_left(session, centres, since)
    return {
        "centre": seat.centre_code,
        "at": iso(now),
        "seats": sorted(seats.values(), key=lambda s: (s["centre"], s["username"])),
        "today": compliance(today, sla_s, now, missed_then_left=left),
    }


async def _missed_then_left(session: AsyncSession, centres: list[uuid.UUID], since: datetime) -> int:
    """Cases whose time to accept ran out (the watchdog's first alert) while a centre of
    `centres` held them, and that are now outside those centres."""
    codes = set(await session.scalars(select(Centre.code).where(Centre.id.in_(centres))))
    alerts = await session.execute(
        select(TimelineEntry.incident_id, TimelineEntry.data)
        .join(Incident, Incident.id == TimelineEntry.incident_id)
        .where(
            TimelineEntry.type == "sla_alert",
            TimelineEntry.at >= since,
            Incident.centre_id.not_in(centres),
        )
    )
    return len({i for i, data in alerts if data.get("stage") == "alert" and data.get("centre") in codes})
