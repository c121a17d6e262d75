"""Alarm submission: idempotent, routed by jurisdiction, recorded on the timeline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts import service as accounts_service
from netalarm.accounts.models import Reporter
from netalarm.core.clock import iso
from netalarm.core.errors import NotFound
from netalarm.incidents import service as incident_service
from netalarm.incidents.models import Alarm, Incident
from netalarm.intake.schemas import AlarmIn
from netalarm.routing import service as routing_service
from netalarm.routing.models import Centre


@dataclass(frozen=True)
class Submitted:
    alarm: Alarm
    incident: Incident
    created: bool


async def submit(
    session: AsyncSession,
    body: AlarmIn,
    *,
    root: Centre,
    timezone: str,
    reporter_id: uuid.UUID | None = None,
) -> Submitted:
    """Store the alarm and its incident, or return the alarm already stored under the same
    idempotency key (`created` False) — however many identical requests race."""
    found = await _by_key(session, body.idempotency_key)
    if found:
        return found
    try:
        async with session.begin_nested():
            return await _create(session, body, root=root, timezone=timezone, reporter_id=reporter_id)
    except IntegrityError:
        found = await _by_key(session, body.idempotency_key)
        if found is None:
            raise
        return found


async def _by_key(session: AsyncSession, key: str) -> Submitted | None:
    row = (
        await session.execute(
            select(Alarm, Incident)
            .join(Incident, Incident.id == Alarm.incident_id)
            .where(Alarm.idempotency_key == key)
        )
    ).first()
    return Submitted(row[0], row[1], created=False) if row else None


async def _create(
    session: AsyncSession, body: AlarmIn, *, root: Centre, timezone: str, reporter_id: uuid.UUID | None
) -> Submitted:
    person = body.reporter
    if reporter_id is not None:
        reporter = await session.get(Reporter, reporter_id)
        if reporter is None:
            raise NotFound("unknown reporter", field="authorization")
    else:
        reporter = await accounts_service.create_reporter(
            session,
            name=person.name if person else None,
            phone=person.phone if person else None,
            id_number=person.id_number if person else None,
            language=person.language if person else None,
        )
    location = (
        incident_service.Location(
            body.location.lat, body.location.lon, body.location.accuracy_m, body.location.source
        )
        if body.location
        else None
    )
    centre = await routing_service.route(
        session, root, location.lat if location else None, location.lon if location else None
    )
    incident = await incident_service.create(
        session,
        centre=centre,
        reporter_id=reporter.id,
        category=body.category,
        description=body.description,
        silent=body.silent,
        location=location,
        timezone=timezone,
        actor=f"reporter:{reporter.id}",
    )
    alarm = Alarm(
        idempotency_key=body.idempotency_key,
        incident_id=incident.id,
        reporter_id=reporter.id,
        channel=body.channel,
        category=body.category,
        description=body.description,
        silent=body.silent,
        lat=location.lat if location else None,
        lon=location.lon if location else None,
        accuracy_m=location.accuracy_m if location else None,
        location_source=location.source if location else None,
        created_at=incident.created_at,
    )
    session.add(alarm)
    await session.flush()
    await incident_service.record(
        session,
        incident,
        actor=f"reporter:{reporter.id}",
        type="alarm_received",
        data={
            "alarm_id": str(alarm.id),
            "case_number": incident.case_number,
            "channel": alarm.channel,
            "category": alarm.category,
            "priority": incident.priority,
            "silent": alarm.silent,
            "description": alarm.description,
            "location": incident_service.location_of(incident),
            "centre": centre.code,
            "identity_given": bool(person and (person.name or person.phone or person.id_number)),
        },
    )
    return Submitted(alarm, incident, created=True)


async def get_for_reporter(session: AsyncSession, alarm_id: uuid.UUID, reporter_id: uuid.UUID) -> Submitted:
    """The reporter's own alarm with its current incident; 404 for anyone else's."""
    row = (
        await session.execute(
            select(Alarm, Incident)
            .join(Incident, Incident.id == Alarm.incident_id)
            .where(Alarm.id == alarm_id, Alarm.reporter_id == reporter_id)
        )
    ).first()
    if row is None:
        raise NotFound("no such alarm", field="alarm_id")
    return Submitted(row[0], row[1], created=False)


def reporter_view(found: Submitted) -> dict[str, Any]:
    """What a reporter may see of their alarm: its progress, never the seat's notes."""
    incident = found.incident
    return {
        "id": str(found.alarm.id),
        "incident_id": str(incident.id),
        "case_number": incident.case_number,
        "status": incident.status,
        "category": found.alarm.category,
        "silent": found.alarm.silent,
        "created_at": iso(found.alarm.created_at),
        "accepted_at": iso(incident.accepted_at),
        "dispatched_at": iso(incident.dispatched_at),
        "resolved_at": iso(incident.resolved_at),
        "closed_at": iso(incident.closed_at),
        "disposition": incident.disposition,
        "location": incident_service.location_of(incident),
    }
