"""Queueing an SMS to the reporter and listing an incident's SMS, as seats see them.

Queueing writes, in the caller's transaction, the `pending` delivery row and the
`sms_queued` timeline entry (whose outbox event updates the consoles); the worker
(`worker.py`) sends it only after that commits."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts.service import SeatIdentity
from netalarm.channels import contact
from netalarm.channels.sms.models import SmsAttempt, SmsDelivery
from netalarm.core.clock import iso, utcnow
from netalarm.core.errors import Conflict, Invalid
from netalarm.incidents import service as incident_service

# Long enough for a few concatenated segments (70 Chinese characters each), short enough
# that an operator's message stays an SMS and not a letter.
MAX_TEXT = 480


def check_text(text: str) -> str:
    """The text stripped; `Invalid` on field `text` when empty or longer than `MAX_TEXT`."""
    text = text.strip()
    if not text:
        raise Invalid("the SMS needs a text", field="text")
    if len(text) > MAX_TEXT:
        raise Invalid(f"text must be at most {MAX_TEXT} characters", field="text")
    return text


async def queue(
    session: AsyncSession, seat: SeatIdentity, incident_id: uuid.UUID, *, text: str, to: str | None = None
) -> SmsDelivery:
    """Queue an SMS from `seat` on an incident it may see (else 404), to `to` or else the
    reporter's phone (422 `to` when there is none), unless the incident is closed (409).
    Flushes; the caller commits, and only then may the worker send it."""
    incident = await incident_service.get_visible(session, seat, incident_id, for_update=True)
    text = check_text(text)
    if incident.status == "closed":
        raise Conflict("the incident is closed", code="incident_closed")
    number, source = await contact.number_for(session, incident, to)
    now = utcnow()
    delivery = SmsDelivery(
        incident_id=incident.id,
        to=number,
        to_source=source,
        text=text,
        seat_username=seat.username,
        status="pending",
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(delivery)
    await session.flush()
    await incident_service.record(
        session,
        incident,
        actor=seat.actor,
        type="sms_queued",
        data={"delivery_id": str(delivery.id), "to": contact.mask(number), "to_source": source, "text": text},
    )
    return delivery


async def for_incident(session: AsyncSession, incident_id: uuid.UUID) -> list[dict[str, Any]]:
    """The incident's SMS, oldest first, each with its attempts."""
    deliveries = list(
        await session.scalars(
            select(SmsDelivery).where(SmsDelivery.incident_id == incident_id).order_by(SmsDelivery.id)
        )
    )
    tries: dict[uuid.UUID, list[SmsAttempt]] = defaultdict(list)
    if deliveries:
        rows = await session.scalars(
            select(SmsAttempt)
            .where(SmsAttempt.delivery_id.in_([d.id for d in deliveries]))
            .order_by(SmsAttempt.delivery_id, SmsAttempt.number)
        )
        for attempt in rows:
            tries[attempt.delivery_id].append(attempt)
    return [{**public(d), "tries": [attempt_public(a) for a in tries[d.id]]} for d in deliveries]


def public(delivery: SmsDelivery) -> dict[str, Any]:
    """A delivery as seats see it. `status` is `pending` (also while a worker is sending),
    `sent` (the transport took it) or `failed` (refused, or out of attempts); the number is
    masked (see `contact.mask`)."""
    return {
        "id": str(delivery.id),
        "incident_id": str(delivery.incident_id),
        "status": "pending" if delivery.status == "sending" else delivery.status,
        "to": contact.mask(delivery.to),
        "to_source": delivery.to_source,
        "text": delivery.text,
        "seat": delivery.seat_username,
        "at": iso(delivery.created_at),
        "attempts": delivery.attempts,
        "error": delivery.last_error,
        "next_attempt_at": iso(delivery.next_attempt_at) if delivery.status == "pending" else None,
        "sent_at": iso(delivery.sent_at),
        "failed_at": iso(delivery.failed_at),
    }


def attempt_public(attempt: SmsAttempt) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "transport": attempt.transport,
        "outcome": attempt.outcome,
        "error": attempt.error,
        "duration_ms": round(attempt.duration_ms, 1),
        "at": iso(attempt.at),
    }
