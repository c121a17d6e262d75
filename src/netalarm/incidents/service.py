"""Incidents: creation, visibility, locking, the timeline entries of their changes, positions,
withdrawals and requests for quiet. How seats see them (listings, rows) is `views`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts.service import SeatIdentity
from netalarm.core.clock import utcnow
from netalarm.core.db import new_row
from netalarm.core.errors import Conflict, Invalid, NotFound
from netalarm.core.ids import uuid7
from netalarm.incidents.lifecycle import WITHDRAWAL_REASONS, default_priority
from netalarm.incidents.models import Alarm, Incident, LocationUpdate
from netalarm.routing import service as routing_service
from netalarm.routing.models import Centre
from netalarm.timeline import service as timeline_service
from netalarm.timeline.models import TimelineEntry


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float
    accuracy_m: float | None
    source: str


def incident_row(
    *,
    case_number: str,
    centre: Centre,
    reporter_id: uuid.UUID | None,
    category: str,
    description: str,
    silent: bool,
    location: Location | None,
    at: datetime,
) -> dict[str, Any]:
    """The row of a new incident in `received`, owned by `centre` (every column, see
    `core.db.new_row`; `Incident(**row)` is the object). Intake numbers and records it; see
    `intake.service`."""
    return new_row(
        Incident,
        id=uuid7(),
        case_number=case_number,
        status="received",
        priority=default_priority(category, silent),
        category=category,
        description=description,
        silent=silent,
        centre_id=centre.id,
        reporter_id=reporter_id,
        created_at=at,
        updated_at=at,
        version=1,
        lat=location.lat if location else None,
        lon=location.lon if location else None,
        accuracy_m=location.accuracy_m if location else None,
        location_source=location.source if location else None,
    )


def _set_location(incident: Incident, location: Location) -> None:
    incident.lat, incident.lon = location.lat, location.lon
    incident.accuracy_m, incident.location_source = location.accuracy_m, location.source


async def lock(session: AsyncSession, incident_id: uuid.UUID) -> Incident:
    """Load the incident and hold its row lock until the transaction ends (PostgreSQL);
    SQLite transactions are already exclusive (`BEGIN IMMEDIATE`)."""
    incident = await session.scalar(
        select(Incident)
        .where(Incident.id == incident_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if incident is None:
        raise NotFound("no such incident", field="incident_id")
    return incident


async def get_visible(
    session: AsyncSession, seat: SeatIdentity, incident_id: uuid.UUID, *, for_update: bool = False
) -> Incident:
    """The incident if it belongs to the seat's centre or one below it; else 404, the same
    answer as for an incident that does not exist."""
    incident = await lock(session, incident_id) if for_update else await session.get(Incident, incident_id)
    if incident is None or not await routing_service.is_within(session, incident.centre_id, seat.centre_id):
        raise NotFound("no such incident", field="incident_id")
    return incident


async def alarm_ids(session: AsyncSession, incident_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.scalars(select(Alarm.id).where(Alarm.incident_id == incident_id).order_by(Alarm.id))
    return list(rows)


async def record(
    session: AsyncSession, incident: Incident, *, actor: str, type: str, data: dict[str, Any]
) -> TimelineEntry:
    """A timeline entry for this incident, published to its centre and its alarms."""
    return await timeline_service.append(
        session,
        incident_id=incident.id,
        actor=actor,
        type=type,
        data=data,
        centre_id=incident.centre_id,
        alarm_ids=await alarm_ids(session, incident.id),
    )


async def state_category(session: AsyncSession, alarm: Alarm, category: str, *, actor: str) -> bool:
    """The reporter says what is happening (one tap on a silent alarm's page). It becomes the
    incident's category while no seat has taken the incident or classified it, so a seat's
    judgement is never overruled; the reporter may correct their own tap. A category that
    calls for a higher priority than the incident has (violence is P1) raises it, and with it
    the SLA; a tap never lowers a priority. Returns whether the category changed. A closed
    incident refuses (409)."""
    incident = await lock(session, alarm.incident_id)
    if incident.status == "closed":
        raise Conflict("a closed incident cannot be changed", code="illegal_transition")
    if incident.status != "received" or incident.category == category:
        return False
    if await _classified_by_seat(session, incident):
        return False
    changes = {"category": category}
    # "P1" < "P2" < …: the lesser code is the more urgent.
    wanted = default_priority(category, incident.silent)
    if wanted < incident.priority:
        changes["priority"] = wanted
    await reclassify(session, incident, changes, actor=actor)
    return True


async def _classified_by_seat(session: AsyncSession, incident: Incident) -> bool:
    """Whether anyone but a reporter has set the incident's priority or category."""
    count = await session.scalar(
        select(func.count())
        .select_from(TimelineEntry)
        .where(
            TimelineEntry.incident_id == incident.id,
            TimelineEntry.type == "classified",
            TimelineEntry.actor.not_like("reporter:%"),
        )
    )
    return bool(count)


async def withdraw(session: AsyncSession, alarm: Alarm, reason: str, *, actor: str) -> bool:
    """The reporter takes `alarm` back (`reason`: one of `WITHDRAWAL_REASONS`): it is stamped
    and a `withdrawn` entry tells the seats. Nothing else of the case changes — no status,
    priority or SLA clock: a reporter made to cancel by the person they hide from looks the
    same as one who pressed by mistake, so a seat still makes sure and closes the case.
    Once withdrawn, an alarm stays so with its first reason (a repeat changes nothing).
    Returns whether this call withdrew it; a closed incident refuses (409)."""
    if reason not in WITHDRAWAL_REASONS:
        raise Invalid(f"reason must be one of {', '.join(WITHDRAWAL_REASONS)}", field="reason")
    incident = await lock(session, alarm.incident_id)
    await session.refresh(alarm)
    if alarm.withdrawn_at is not None:
        return False
    if incident.status == "closed":
        raise Conflict("a closed incident cannot be changed", code="illegal_transition")
    alarm.withdrawn_at = utcnow()
    alarm.withdrawn_reason = reason
    await record(
        session, incident, actor=actor, type="withdrawn", data={"alarm_id": str(alarm.id), "reason": reason}
    )
    return True


async def ask_quiet(session: AsyncSession, alarm: Alarm, *, actor: str) -> bool:
    """The reporter of `alarm` asks not to be texted unless needed (their phone must not
    buzz): the alarm and its incident become silent, and a `quiet_requested` entry tells the
    seats. A silent alarm is P1 (`default_priority`): while nobody has taken the case nor a
    seat classified it, a lower priority is raised to P1 (a `classified` entry by `actor`), as
    a reporter's category tap raises it. Returns whether this call made the alarm silent
    (False when it was already)."""
    incident = await lock(session, alarm.incident_id)
    await session.refresh(alarm)
    if alarm.silent:
        return False
    alarm.silent = True
    incident.silent = True
    incident.updated_at = utcnow()
    incident.version += 1
    await record(session, incident, actor=actor, type="quiet_requested", data={"alarm_id": str(alarm.id)})
    wanted = default_priority(incident.category, True)
    if (
        incident.status == "received"
        and wanted < incident.priority
        and not await _classified_by_seat(session, incident)
    ):
        await reclassify(session, incident, {"priority": wanted}, actor=actor)
    return True


async def lift_quiet(session: AsyncSession, alarm: Alarm, *, actor: str) -> bool:
    """The reporter of `alarm`, who asked for quiet, may be texted again: the alarm is no
    longer silent, and the incident only when none of its other alarms is; a `quiet_lifted`
    entry tells the seats. The priority stays as it is (a seat lowers it if it will).
    Returns whether this call changed the alarm (False when it was not silent)."""
    incident = await lock(session, alarm.incident_id)
    await session.refresh(alarm)
    if not alarm.silent:
        return False
    alarm.silent = False
    others_silent = await session.scalar(
        select(func.count())
        .select_from(Alarm)
        .where(Alarm.incident_id == incident.id, Alarm.id != alarm.id, Alarm.silent.is_(True))
    )
    incident.silent = bool(others_silent)
    incident.updated_at = utcnow()
    incident.version += 1
    await record(
        session,
        incident,
        actor=actor,
        type="quiet_lifted",
        data={"alarm_id": str(alarm.id), "incident_silent": incident.silent},
    )
    return True


async def reclassify(
    session: AsyncSession, incident: Incident, changes: dict[str, str], *, actor: str
) -> None:
    """Set the incident's fields in `changes` (checked by the caller: `priority`,
    `category`), stamp it, and record a `classified` entry with the values before and after."""
    before = {name: getattr(incident, name) for name in changes}
    for name, value in changes.items():
        setattr(incident, name, value)
    incident.updated_at = utcnow()
    incident.version += 1
    await record(session, incident, actor=actor, type="classified", data={"from": before, "to": changes})


async def add_location(
    session: AsyncSession, alarm: Alarm, location: Location, *, actor: str
) -> LocationUpdate:
    """Store a position update on the alarm's trail and make it the incident's position."""
    incident = await lock(session, alarm.incident_id)
    update = LocationUpdate(
        alarm_id=alarm.id,
        lat=location.lat,
        lon=location.lon,
        accuracy_m=location.accuracy_m,
        source=location.source,
    )
    session.add(update)
    _set_location(incident, location)
    incident.updated_at = utcnow()
    await record(
        session,
        incident,
        actor=actor,
        type="location",
        data={"alarm_id": str(alarm.id), **location.__dict__},
    )
    return update


async def trail(session: AsyncSession, incident_id: uuid.UUID) -> list[LocationUpdate]:
    rows = await session.scalars(
        select(LocationUpdate)
        .join(Alarm, Alarm.id == LocationUpdate.alarm_id)
        .where(Alarm.incident_id == incident_id)
        .order_by(LocationUpdate.at)
    )
    return list(rows)
