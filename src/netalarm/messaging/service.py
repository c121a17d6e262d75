"""Chat: post and list messages; each message is a timeline entry of its incident."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.core.clock import iso, utcnow
from netalarm.core.errors import Conflict, Invalid
from netalarm.incidents import service as incident_service
from netalarm.incidents.models import Alarm, Incident
from netalarm.media import service as media_service
from netalarm.messaging.models import Message

MAX_TEXT = 4_000


async def post(
    session: AsyncSession,
    *,
    incident: Incident,
    alarm_id: uuid.UUID,
    sender: str,
    actor: str,
    text: str,
    media_ids: list[uuid.UUID],
    seat_username: str | None = None,
    idempotency_key: str | None = None,
) -> Message:
    """Store a message from `sender` ('reporter' or 'seat') in the conversation of one alarm.
    `idempotency_key` (unique among messages) marks one that came from outside, such as an
    inbound SMS; storing the same key twice raises `IntegrityError` at the flush."""
    text = text.strip()
    if not text and not media_ids:
        raise Invalid("a message needs text or media", field="text")
    if len(text) > MAX_TEXT:
        raise Invalid(f"text must be at most {MAX_TEXT} characters", field="text")
    await media_service.check_for_message(session, alarm_id, media_ids)
    incident = await incident_service.lock(session, incident.id)
    if incident.status == "closed":
        raise Conflict("the incident is closed", code="incident_closed")
    message = Message(
        incident_id=incident.id,
        alarm_id=alarm_id,
        sender=sender,
        seat_username=seat_username,
        text=text,
        media_ids=[str(m) for m in media_ids],
        at=utcnow(),
        idempotency_key=idempotency_key,
    )
    session.add(message)
    await session.flush()
    await incident_service.record(
        session, incident, actor=actor, type="message", data={"message": public(message)}
    )
    return message


async def post_once(
    session: AsyncSession,
    *,
    idempotency_key: str,
    incident: Incident,
    alarm_id: uuid.UUID,
    sender: str,
    actor: str,
    text: str,
    media_ids: list[uuid.UUID],
) -> tuple[Message, bool]:
    """`post` under `idempotency_key`, once: the message stored before under that key (by an
    earlier try, or meanwhile by a concurrent one) is returned instead. The bool says whether
    this call stored it."""
    before = await by_key(session, idempotency_key)
    if before is not None:
        return before, False
    try:
        async with session.begin_nested():
            message = await post(
                session,
                incident=incident,
                alarm_id=alarm_id,
                sender=sender,
                actor=actor,
                text=text,
                media_ids=media_ids,
                idempotency_key=idempotency_key,
            )
    except IntegrityError:  # stored meanwhile by a concurrent try under the same key
        again = await by_key(session, idempotency_key)
        if again is None:
            raise
        return again, False
    return message, True


async def check_reporter_message(session: AsyncSession, alarm_id: uuid.UUID, message_id: uuid.UUID) -> None:
    """A file can be attached only to a message the reporter sent in that alarm's chat."""
    found = await session.scalar(
        select(Message.id).where(
            Message.id == message_id, Message.alarm_id == alarm_id, Message.sender == "reporter"
        )
    )
    if found is None:
        raise Invalid("no such message of the reporter in this alarm", field="message_id")


async def attach_media(session: AsyncSession, message_id: uuid.UUID, media_id: uuid.UUID) -> None:
    """Add a finished upload to the message it was sent for."""
    message = await session.get(Message, message_id)
    if message is None:
        raise Invalid("no such message", field="message_id")
    if str(media_id) not in message.media_ids:
        message.media_ids = [*message.media_ids, str(media_id)]
    await session.flush()


async def default_alarm(session: AsyncSession, incident: Incident) -> uuid.UUID:
    """The conversation a seat message goes to when none is named: the incident's first alarm."""
    alarm_id = await session.scalar(
        select(Alarm.id).where(Alarm.incident_id == incident.id).order_by(Alarm.id).limit(1)
    )
    if alarm_id is None:
        raise Invalid("the incident has no alarm to reply to", field="alarm_id")
    return alarm_id


async def check_alarm_of(session: AsyncSession, incident: Incident, alarm_id: uuid.UUID) -> None:
    if (
        await session.scalar(select(Alarm.id).where(Alarm.id == alarm_id, Alarm.incident_id == incident.id))
        is None
    ):
        raise Invalid("that alarm does not belong to the incident", field="alarm_id")


async def by_key(session: AsyncSession, idempotency_key: str) -> Message | None:
    """The message stored under an idempotency key, if any."""
    found: Message | None = await session.scalar(
        select(Message).where(Message.idempotency_key == idempotency_key)
    )
    return found


async def for_incident(session: AsyncSession, incident_id: uuid.UUID) -> list[Message]:
    rows = await session.scalars(
        select(Message).where(Message.incident_id == incident_id).order_by(Message.id)
    )
    return list(rows)


async def for_alarm(session: AsyncSession, alarm_id: uuid.UUID) -> list[Message]:
    rows = await session.scalars(select(Message).where(Message.alarm_id == alarm_id).order_by(Message.id))
    return list(rows)


def public(message: Message) -> dict[str, Any]:
    return {
        "id": str(message.id),
        "alarm_id": str(message.alarm_id),
        "from": message.sender,
        "seat": message.seat_username,
        "text": message.text,
        "media_ids": list(message.media_ids),
        "at": iso(message.at),
        "delivered_at": iso(message.delivered_at),
        "read_at": iso(message.read_at),
    }
