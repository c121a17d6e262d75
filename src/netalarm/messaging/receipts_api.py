"""Read receipts over HTTP: the reporter reads a seat message, a seat reads a reporter message."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from netalarm.core.http import ReporterDep, SeatDep, Session, parse_uuid
from netalarm.incidents import service as incident_service
from netalarm.intake import service as intake_service
from netalarm.messaging import receipts
from netalarm.messaging import service as messaging_service

router = APIRouter(tags=["chat"])


@router.post("/api/v1/alarms/{alarm_id}/messages/{message_id}/read")
async def reporter_read(
    alarm_id: str, message_id: str, session: Session, reporter: ReporterDep
) -> dict[str, Any]:
    """Mark a seat message read (and delivered); repeating it changes nothing."""
    found = await intake_service.get_for_reporter(session, parse_uuid(alarm_id, "alarm_id"), reporter)
    message = await receipts.get_in_alarm(session, found.alarm.id, parse_uuid(message_id, "message_id"))
    await receipts.mark_read(session, message, by="reporter", actor=f"reporter:{reporter}")
    await session.commit()
    return messaging_service.public(message)


@router.post("/api/v1/incidents/{incident_id}/messages/{message_id}/read")
async def seat_read(incident_id: str, message_id: str, session: Session, seat: SeatDep) -> dict[str, Any]:
    """Mark a reporter message read (and delivered); repeating it changes nothing."""
    incident = await incident_service.get_visible(session, seat, parse_uuid(incident_id, "incident_id"))
    message = await receipts.get_in_incident(session, incident.id, parse_uuid(message_id, "message_id"))
    await receipts.mark_read(session, message, by="seat", actor=seat.actor)
    await session.commit()
    return messaging_service.public(message)
