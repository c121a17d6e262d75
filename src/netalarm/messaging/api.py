"""Chat over HTTP for both sides: the reporter on their alarm, seats on the incident."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from netalarm.boundary import forwarded_case
from netalarm.channels.sms import service as sms_service
from netalarm.channels.sms.worker import WorkerDep
from netalarm.core.http import ReporterDep, SeatDep, Session, parse_uuid
from netalarm.incidents import service as incident_service
from netalarm.intake import service as intake_service
from netalarm.messaging import receipts
from netalarm.messaging import service as messaging_service

router = APIRouter(tags=["chat"])


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(default="", max_length=messaging_service.MAX_TEXT)
    media_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)
    alarm_id: uuid.UUID | None = None


class ReporterMessageIn(MessageIn):
    # Made by the reporter's device for each message, so a retry (after a reload, or an answer
    # lost on the way) finds the message sent before instead of making a second one.
    idempotency_key: str | None = Field(
        default=None, min_length=8, max_length=80, pattern=r"^[A-Za-z0-9._:\-]+$"
    )


@router.get("/api/v1/alarms/{alarm_id}/messages")
async def reporter_messages(alarm_id: str, session: Session, reporter: ReporterDep) -> list[dict[str, Any]]:
    """The alarm's conversation, oldest first. Fetching it delivers the seat's messages:
    those not yet marked get their delivered receipt now."""
    found = await intake_service.get_for_reporter(session, parse_uuid(alarm_id, "alarm_id"), reporter)
    messages = await messaging_service.for_alarm(session, found.alarm.id)
    await receipts.deliver_all(session, messages, by="reporter", actor=f"reporter:{reporter}")
    await session.commit()
    return [messaging_service.public(m) for m in messages]


@router.post(
    "/api/v1/alarms/{alarm_id}/messages",
    status_code=201,
    responses={200: {"description": "The message sent before under this idempotency_key."}},
)
async def reporter_post(
    alarm_id: str, body: ReporterMessageIn, session: Session, reporter: ReporterDep, response: Response
) -> dict[str, Any]:
    """The reporter's message. With an `idempotency_key`, the same key again on this alarm
    answers 200 with the message sent first, whatever the body says."""
    found = await intake_service.get_for_reporter(session, parse_uuid(alarm_id, "alarm_id"), reporter)
    fields: dict[str, Any] = {
        "incident": found.incident,
        "alarm_id": found.alarm.id,
        "sender": "reporter",
        "actor": f"reporter:{reporter}",
        "text": body.text,
        "media_ids": body.media_ids,
    }
    if body.idempotency_key is None:
        message = await messaging_service.post(session, **fields)
    else:
        # Keys are the device's own: scoped by alarm, one reporter's key never finds another's message.
        key = f"reporter:{found.alarm.id}:{body.idempotency_key}"
        message, created = await messaging_service.post_once(session, idempotency_key=key, **fields)
        if not created:
            response.status_code = 200
    await session.commit()
    return messaging_service.public(message)


@router.get("/api/v1/incidents/{incident_id}/messages")
async def seat_messages(incident_id: str, session: Session, seat: SeatDep) -> list[dict[str, Any]]:
    """The incident's conversations, oldest first. Fetching them delivers the reporters'
    messages: those not yet marked get their delivered receipt now. On a case that came over
    the 110 link, `waiting_for_link` marks a seat's message not yet taken by the other side."""
    incident = await incident_service.get_visible(session, seat, parse_uuid(incident_id, "incident_id"))
    messages = await messaging_service.for_incident(session, incident.id)
    await receipts.deliver_all(session, messages, by="seat", actor=seat.actor)
    waiting = await forwarded_case.waiting_to_cross(session, incident.id)
    await session.commit()
    return [{**messaging_service.public(m), "waiting_for_link": m.id in waiting} for m in messages]


@router.post("/api/v1/incidents/{incident_id}/messages", status_code=201)
async def seat_post(
    incident_id: str, body: MessageIn, session: Session, seat: SeatDep, worker: WorkerDep
) -> dict[str, Any]:
    """A seat's message. In the conversation of an alarm that came by SMS it also goes to
    the reporter as an SMS (case number first), queued in the same transaction. On a case
    that came over a link whose handing side has closed it, refused (409 `source_closed`); on
    one another such case was merged into, `alarm_id` names whose reporter's conversation it
    goes to (by default the first alarm's), and the message reaches that reporter."""
    incident = await incident_service.get_visible(session, seat, parse_uuid(incident_id, "incident_id"))
    if body.alarm_id is not None:
        await messaging_service.check_alarm_of(session, incident, body.alarm_id)
    alarm_id = body.alarm_id or await messaging_service.default_alarm(session, incident)
    await forwarded_case.check_reachable(session, incident, alarm_id)
    message = await messaging_service.post(
        session,
        incident=incident,
        alarm_id=alarm_id,
        sender="seat",
        actor=seat.actor,
        text=body.text,
        media_ids=body.media_ids,
        seat_username=seat.username,
    )
    await forwarded_case.reply_follows(session, incident, message, actor=seat.actor)
    delivery = await sms_service.queue_chat_reply(
        session, incident, message, actor=seat.actor, sender=seat.username
    )
    await session.commit()
    if delivery is not None:
        worker.wake()
    return messaging_service.public(message)
