"""Delivered and read receipts for chat messages, on both sides.

Only the side that did not send a message can acknowledge it: a seat message is
delivered to and read by the reporter, a reporter message by the seats. Each receipt is
stamped once, by a conditional update, and recorded on the timeline (so it is published
as an event to both sides); acknowledging again changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.core.clock import iso, utcnow
from netalarm.core.errors import Conflict, NotFound
from netalarm.incidents import service as incident_service
from netalarm.messaging.models import Message

SIDES = ("reporter", "seat")


async def _stamp(session: AsyncSession, message: Message, *, by: str, actor: str, read: bool) -> bool:
    if by not in SIDES:
        raise ValueError(f"by must be one of {SIDES}")
    if message.sender == by:
        raise Conflict(
            "a sender does not acknowledge its own message", field="message_id", code="own_message"
        )
    # The incident lock orders receipts after the message and with every other entry.
    incident = await incident_service.lock(session, message.incident_id)
    now = utcnow()
    column = Message.read_at if read else Message.delivered_at
    values = {"read_at": now} if read else {"delivered_at": now}
    stamped = await session.execute(
        update(Message)
        .where(Message.id == message.id, column.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if stamped.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(message)
        return False
    delivered_first = read and message.delivered_at is None
    if delivered_first:
        await session.execute(
            update(Message)
            .where(Message.id == message.id, Message.delivered_at.is_(None))
            .values(delivered_at=now)
            .execution_options(synchronize_session=False)
        )
    await session.refresh(message)
    data = {"message_id": str(message.id), "alarm_id": str(message.alarm_id), "by": by, "at": iso(now)}
    if delivered_first:
        await incident_service.record(session, incident, actor=actor, type="message_delivered", data=data)
    await incident_service.record(
        session, incident, actor=actor, type="message_read" if read else "message_delivered", data=data
    )
    return True


async def mark_delivered(session: AsyncSession, message: Message, *, by: str, actor: str) -> bool:
    """Stamp `delivered_at` if not yet stamped; True if this call stamped it."""
    return await _stamp(session, message, by=by, actor=actor, read=False)


async def mark_read(session: AsyncSession, message: Message, *, by: str, actor: str) -> bool:
    """Stamp `read_at` (and `delivered_at`, if the message was read before it was known to
    be delivered) once; True if this call stamped it."""
    return await _stamp(session, message, by=by, actor=actor, read=True)


async def deliver_all(session: AsyncSession, messages: Iterable[Message], *, by: str, actor: str) -> int:
    """Mark as delivered every message of `messages` the other side sent and nobody has
    acknowledged yet (the messages were just fetched by `by`); returns how many."""
    count = 0
    for message in messages:
        if message.sender != by and message.delivered_at is None:
            count += await mark_delivered(session, message, by=by, actor=actor)
    return count


async def get_in_alarm(session: AsyncSession, alarm_id: uuid.UUID, message_id: uuid.UUID) -> Message:
    message = await session.get(Message, message_id)
    if message is None or message.alarm_id != alarm_id:
        raise NotFound("no such message", field="message_id")
    return message


async def get_in_incident(session: AsyncSession, incident_id: uuid.UUID, message_id: uuid.UUID) -> Message:
    message = await session.get(Message, message_id)
    if message is None or message.incident_id != incident_id:
        raise NotFound("no such message", field="message_id")
    return message
