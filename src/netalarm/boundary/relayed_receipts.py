"""Receipts of a 110 seat's messages, back across the link: the Internet side keeps each
message that came from the 110 side under the key of its id there (`relay:110:<id>`), so the
reporter's delivered and read receipts of it can go to the 110 side as news naming that id,
and the 110 seat's chat shows them as on any message."""

from __future__ import annotations

import uuid
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.boundary.document import LINK_110, Progress, relayed_message_prefix
from netalarm.incidents.models import Incident
from netalarm.messaging import receipts
from netalarm.messaging.models import Message
from netalarm.timeline.models import TimelineEntry

RECEIPT_TYPES: Final = ("message_delivered", "message_read")
PREFIX: Final = relayed_message_prefix(LINK_110)


async def originals(session: AsyncSession, entries: list[TimelineEntry]) -> dict[uuid.UUID, str]:
    """Per receipt entry (its id) by the reporter of a message that came from the 110 side,
    that message's id there."""
    wanted = {
        entry.id: str(entry.data.get("message_id"))
        for entry in entries
        if entry.type in RECEIPT_TYPES and entry.actor.startswith("reporter:")
    }
    if not wanted:
        return {}
    rows = await session.execute(
        select(Message.id, Message.idempotency_key).where(
            Message.id.in_([uuid.UUID(m) for m in set(wanted.values())]),
            Message.idempotency_key.startswith(PREFIX),
        )
    )
    theirs = {str(message_id): str(key).removeprefix(PREFIX) for message_id, key in rows}
    return {entry_id: theirs[m] for entry_id, m in wanted.items() if m in theirs}


async def take(session: AsyncSession, incident: Incident, update: Progress, *, actor: str) -> None:
    """The reporter's receipt (news) of a seat's message of `incident`: stamped here once."""
    try:
        message = await session.get(Message, uuid.UUID(str(update.data.get("id"))))
    except ValueError:  # not a message id: nothing to stamp
        return
    if message is None or message.incident_id != incident.id or message.sender != "seat":
        return
    mark = receipts.mark_read if update.type == "message_read" else receipts.mark_delivered
    await mark(session, message, by="reporter", actor=actor)
