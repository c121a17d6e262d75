"""Inbound SMS: a text the gateway received on the alarm number becomes the reporter's chat
message on their open SMS alarm, or else a new alarm.

Matching: the sender's number, normalised to E.164, against the phone of the reporter of
every alarm that came by SMS whose incident is not `closed`; the newest such alarm wins and
the text goes into its conversation (a `message` entry and event, as any reporter message).
Otherwise intake stores a new alarm: channel `sms`, category `other`, description the text,
reporter phone the sender; and the sender is sent a receipt with the case number. Either way,
an open case forwarded to 110 whose reporter gave that phone is told the text
(`boundary.reporter_sms`), so it reaches the 110 seat.

A sender that is not a valid phone number (a short code, an alphanumeric name, garbage)
never matches an incident and never loses the alarm: the alarm is raised without a phone,
and the description ends with a note naming the raw sender, so the seat sees it at once.

Idempotency is intake's: the key `sms:<gateway message id>` is the new alarm's
`idempotency_key`, or the chat message's (unique among messages too); the same gateway
message again finds what the first stored and gets the same answer."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts.models import Reporter
from netalarm.accounts.validation import normalise_phone
from netalarm.boundary import reporter_sms
from netalarm.channels.sms import service as sms_service
from netalarm.core.clock import iso, utcnow
from netalarm.core.errors import Invalid
from netalarm.incidents import service as incident_service
from netalarm.incidents.models import Alarm, Incident
from netalarm.intake import service as intake_service
from netalarm.intake.schemas import KEY_MIN, AlarmIn, ReporterIn
from netalarm.messaging import service as messaging_service
from netalarm.routing.models import Centre

_KEY_SAFE = re.compile(r"^[A-Za-z0-9._:\-]{1,120}$")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")
RAW_SENDER_MAX = 64


@dataclass(frozen=True)
class Inbound:
    """One SMS as the gateway hands it over."""

    message_id: str
    sender: str
    text: str
    received_at: datetime | None = None


@dataclass(frozen=True)
class Received:
    """What an inbound SMS did: `outcome` is `alarm` (a new alarm) or `message` (a chat
    message on an open incident); `created` is False for a repeat of a stored SMS."""

    outcome: str
    alarm: Alarm
    incident: Incident
    message_id: uuid.UUID | None
    created: bool

    def public(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "alarm_id": str(self.alarm.id),
            "incident_id": str(self.incident.id),
            "case_number": self.incident.case_number,
            "message_id": str(self.message_id) if self.message_id else None,
        }


def idempotency_key(message_id: str) -> str:
    """`sms:<id>` for an id made of the characters intake allows and long enough for its
    key (8 characters in all), else `sms-h:<sha256>`."""
    key = f"sms:{message_id}"
    if _KEY_SAFE.match(message_id) and len(key) >= KEY_MIN:
        return key
    return f"sms-h:{hashlib.sha256(message_id.encode()).hexdigest()}"


def sender_phone(raw: str) -> str | None:
    """The sender in E.164, or None when it is not a valid phone number."""
    try:
        return normalise_phone(raw.strip(), field="from")
    except Invalid:
        return None


async def receive(session: AsyncSession, sms: Inbound, *, root: Centre, timezone: str) -> Received:
    """Apply one inbound SMS in the caller's transaction (flushes; the caller commits)."""
    text = sms.text.strip()
    if not text:
        raise Invalid("the SMS has no text", field="text")
    key = idempotency_key(sms.message_id)
    stored = await _stored(session, key)
    if stored is not None:
        return stored
    phone = sender_phone(sms.sender)
    open_alarm = await _open_sms_alarm(session, phone) if phone else None
    if phone is not None and open_alarm is not None:
        message, created = await messaging_service.post_once(
            session,
            idempotency_key=key,
            incident=open_alarm[1],
            alarm_id=open_alarm[0].id,
            sender="reporter",
            actor=f"reporter:{open_alarm[0].reporter_id}",
            text=text,
            media_ids=[],
        )
        if not created:  # the same SMS, stored meanwhile by a concurrent delivery of it
            again = await _stored(session, key)
            assert again is not None, "post_once found a message under this key"
            return again
        await _record_gateway_time(session, open_alarm[1], sms, message_id=message.id)
        await reporter_sms.tell_forwarded(session, phone, open_alarm[0], open_alarm[1], text)
        return Received("message", open_alarm[0], open_alarm[1], message.id, created=True)
    description = text
    if phone is None:
        description = f"{text}\n\n(SMS sender is not a valid phone number: {_printable(sms.sender)})"
    body = AlarmIn(
        idempotency_key=key,
        channel="sms",
        category="other",
        description=description,
        reporter=ReporterIn(phone=phone) if phone else None,
    )
    submitted = await intake_service.submit(session, body, root=root, timezone=timezone)
    if submitted.created:
        await _record_gateway_time(session, submitted.incident, sms, message_id=None)
    if submitted.created and phone is not None:
        await sms_service.queue_receipt(session, submitted.incident, phone)
        await reporter_sms.tell_forwarded(session, phone, submitted.alarm, submitted.incident, text)
    return Received("alarm", submitted.alarm, submitted.incident, None, created=submitted.created)


async def _record_gateway_time(
    session: AsyncSession, incident: Incident, sms: Inbound, *, message_id: uuid.UUID | None
) -> None:
    """When the gateway says it received the text, that time on the timeline (`sms_received`)
    with how much later it reached this server: a text held up on the way is read as late."""
    if sms.received_at is None:
        return
    now = utcnow()
    await incident_service.record(
        session,
        incident,
        actor="system:sms",
        type="sms_received",
        data={
            "gateway_received_at": iso(sms.received_at),
            "delay_s": round((now - sms.received_at).total_seconds(), 1),
            "message_id": str(message_id) if message_id else None,
        },
    )


def _printable(raw: str) -> str:
    return _UNPRINTABLE.sub("?", raw.strip())[:RAW_SENDER_MAX] or "(empty)"


async def _stored(session: AsyncSession, key: str) -> Received | None:
    """What a stored SMS with this key did: the alarm it raised, or the message it became."""
    row = (
        await session.execute(
            select(Alarm, Incident)
            .join(Incident, Incident.id == Alarm.incident_id)
            .where(Alarm.idempotency_key == key)
        )
    ).first()
    if row is not None:
        return Received("alarm", row[0], row[1], None, created=False)
    message = await messaging_service.by_key(session, key)
    if message is None:
        return None
    alarm = await session.get(Alarm, message.alarm_id)
    incident = await session.get(Incident, message.incident_id)
    assert alarm is not None and incident is not None
    return Received("message", alarm, incident, message.id, created=False)


async def _open_sms_alarm(session: AsyncSession, phone: str) -> tuple[Alarm, Incident] | None:
    """The newest alarm that came by SMS from this phone whose incident is not closed."""
    row = (
        await session.execute(
            select(Alarm, Incident)
            .join(Incident, Incident.id == Alarm.incident_id)
            .join(Reporter, Reporter.id == Alarm.reporter_id)
            .where(Alarm.channel == "sms", Reporter.phone == phone, Incident.status != "closed")
            .order_by(Alarm.id.desc())
            .limit(1)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None
