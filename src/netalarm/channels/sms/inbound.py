"""Inbound SMS: a text the gateway received on the alarm number becomes the reporter's chat
message on their open SMS alarm, or else a new alarm.

Matching: the sender's number, normalised to E.164, against the phone of the reporter of
every alarm that came by SMS whose incident is not `closed`; the newest such alarm wins and
the text goes into its conversation (a `message` entry and event, as any reporter message).
Otherwise intake stores a new alarm: channel `sms`, category `other`, description the text,
reporter phone the sender, position the one the text gives (`position`), silent when the
text asks for quiet (`keywords`); the sender's number counts as verified by the carrier
(`verification_service.carrier_verified`: the text came from it, no code is sent); and the
sender is sent a receipt with the case number. A reply may also give a position (onto the
trail), ask for quiet or for quiet to end, or cancel the alarm. A cancellation from a number
whose SMS alarm was closed in the last `LATE_CANCEL_WINDOW` raises nothing: it goes on that
case's record and the sender is told the case is closed (a new alarm for "cancel" would have
a seat chase a closed matter). Either
way, an open case forwarded to 110 whose reporter gave that phone is told the text
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
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts.models import Reporter
from netalarm.accounts.validation import normalise_phone
from netalarm.boundary import reporter_sms
from netalarm.channels.sms import keywords, position
from netalarm.channels.sms import service as sms_service
from netalarm.core.clock import iso, utcnow
from netalarm.core.errors import Invalid
from netalarm.incidents import service as incident_service
from netalarm.incidents.models import Alarm, Incident
from netalarm.intake import service as intake_service
from netalarm.intake.schemas import KEY_MIN, AlarmIn, ReporterIn
from netalarm.messaging import service as messaging_service
from netalarm.routing.models import Centre
from netalarm.timeline.models import TimelineEntry
from netalarm.verification import service as verification_service

_KEY_SAFE = re.compile(r"^[A-Za-z0-9._:\-]{1,120}$")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")
RAW_SENDER_MAX = 64


# What stands for the words of a blank text, in the case's description or chat.
BLANK = "（空白短信 · blank SMS）"
# The longest text a gateway may hand over (255 concatenated parts of 153 characters, rounded
# up); what a case keeps of one is `messaging_service.MAX_TEXT` (`_fitted`).
LONGEST_SMS = 40_000
# How long after an SMS case is closed a cancellation from its number is taken for it.
LATE_CANCEL_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Inbound:
    """One SMS as the gateway hands it over."""

    message_id: str
    sender: str
    text: str
    received_at: datetime | None = None


@dataclass(frozen=True)
class Received:
    """What an inbound SMS did: `outcome` is `alarm` (a new alarm), `message` (a chat
    message on an open incident) or `closed` (a late cancellation, kept on the record of the
    closed case it was for); `created` is False for a repeat of a stored SMS; `keyword` what
    the text asked for besides (`keyword_in`): `quiet`, `quiet_off`, `cancel` or None."""

    outcome: str
    alarm: Alarm
    incident: Incident
    message_id: uuid.UUID | None
    created: bool
    keyword: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "alarm_id": str(self.alarm.id),
            "incident_id": str(self.incident.id),
            "case_number": self.incident.case_number,
            "message_id": str(self.message_id) if self.message_id else None,
            "keyword": self.keyword,
        }


def keyword_in(text: str, outcome: str) -> str | None:
    """What a text asks for besides its words (`keywords`): `cancel` (a reply cancelling the
    open alarm, or a late one for a closed case; a first text never cancels, it raises the
    alarm), `quiet`, `quiet_off` (on a reply), or None."""
    if outcome != "alarm" and keywords.withdrawal(text) is not None:
        return "cancel"
    if outcome == "message" and keywords.lifts_quiet(text):
        return "quiet_off"
    return "quiet" if keywords.asks_quiet(text) else None


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
    """Apply one inbound SMS in the caller's transaction (flushes; the caller commits). The
    texts of one sender are applied one at a time (`_one_sender_at_a_time`), so two sent
    together by someone with no open alarm make one alarm and one message, not two cases.
    A blank text is not dropped: someone who cannot type or speak may send nothing else. It
    raises a silent alarm (no status texts to a phone that may be hidden), or reaches the
    seat of an open one as a message, saying `BLANK`."""
    blank = not sms.text.strip()
    text = BLANK if blank else _fitted(sms.text.strip())
    key = idempotency_key(sms.message_id)
    phone = sender_phone(sms.sender)
    if phone is not None:
        await _one_sender_at_a_time(session, phone)
    stored = await _stored(session, key)
    if stored is not None:
        return stored
    open_alarm = await _open_sms_alarm(session, phone) if phone is not None else None
    if phone is not None and open_alarm is not None:
        return await _reply(session, sms, key, text, phone, *open_alarm)
    if phone is not None and keywords.withdrawal(text) is not None:
        closed = await _lately_closed_sms_alarm(session, phone)
        if closed is not None:
            return await _late_cancel(session, key, text, phone, *closed)
    description = text
    if phone is None:
        description = f"{text}\n\n(SMS sender is not a valid phone number: {_printable(sms.sender)})"
    body = AlarmIn(
        idempotency_key=key,
        channel="sms",
        category="other",
        description=description,
        silent=blank or keywords.asks_quiet(text),
        location=position.position_in(text),
        reporter=ReporterIn(phone=phone) if phone else None,
    )
    submitted = await intake_service.submit(session, body, root=root, timezone=timezone)
    if submitted.created:
        await _record_gateway_time(session, submitted.incident, sms, message_id=None)
    if submitted.created and phone is not None:
        await verification_service.carrier_verified(session, submitted.incident, submitted.alarm)
        await sms_service.queue_receipt(session, submitted.incident, phone)
        await reporter_sms.tell_forwarded(session, phone, submitted.alarm, submitted.incident, text)
    return Received(
        "alarm",
        submitted.alarm,
        submitted.incident,
        None,
        created=submitted.created,
        keyword=keyword_in(text, "alarm"),
    )


async def _reply(
    session: AsyncSession, sms: Inbound, key: str, text: str, phone: str, alarm: Alarm, incident: Incident
) -> Received:
    """The text into the open alarm's conversation, as the reporter's message; a position in
    it (`position`) onto the alarm's trail, as the app's live updates; then what it asks for:
    quiet (`incident_service.ask_quiet`; what still waits to be texted to them is withheld),
    or to cancel the alarm (a withdrawal, as the app's, and a confirmation by SMS). The words
    always reach the seat as a message."""
    actor = f"reporter:{alarm.reporter_id}"
    message, created = await messaging_service.post_once(
        session,
        idempotency_key=key,
        incident=incident,
        alarm_id=alarm.id,
        sender="reporter",
        actor=actor,
        text=text,
        media_ids=[],
    )
    if not created:  # the same SMS, stored meanwhile by a concurrent delivery of it
        again = await _stored(session, key)
        assert again is not None, "post_once found a message under this key"
        return again
    await _record_gateway_time(session, incident, sms, message_id=message.id)
    await reporter_sms.tell_forwarded(session, phone, alarm, incident, text)
    fix = position.position_in(text)
    if fix is not None:
        await incident_service.add_location(
            session,
            alarm,
            incident_service.Location(fix.lat, fix.lon, fix.accuracy_m, fix.source),
            actor=actor,
        )
    if keywords.asks_quiet(text) and await incident_service.ask_quiet(session, alarm, actor=actor):
        await sms_service.withhold_pending(session, incident)
    if keywords.lifts_quiet(text) and await incident_service.lift_quiet(session, alarm, actor=actor):
        await sms_service.queue_answer(session, incident, phone, "quiet_off")
    reason = keywords.withdrawal(text)
    if reason is not None:
        await incident_service.withdraw(session, alarm, reason, actor=actor)
        # A repeat confirms the reason the alarm was first cancelled for, which it keeps.
        await sms_service.queue_withdrawal_reply(session, incident, phone, alarm.withdrawn_reason or reason)
    return Received("message", alarm, incident, message.id, created=True, keyword=keyword_in(text, "message"))


async def _late_cancel(
    session: AsyncSession, key: str, text: str, phone: str, alarm: Alarm, incident: Incident
) -> Received:
    """A cancellation for `incident`, closed meanwhile: an `sms_after_closing` entry keeps the
    text on its record and the sender is told the case is closed (`ANSWERS["late_cancel"]`),
    once per gateway message (the entry holds its key)."""
    kept = await session.scalars(
        select(TimelineEntry.data).where(
            TimelineEntry.incident_id == incident.id, TimelineEntry.type == "sms_after_closing"
        )
    )
    created = not any(data.get("idempotency_key") == key for data in kept)
    if created:
        await incident_service.record(
            session,
            incident,
            actor=f"reporter:{alarm.reporter_id}",
            type="sms_after_closing",
            data={"alarm_id": str(alarm.id), "text": text, "idempotency_key": key},
        )
        await sms_service.queue_answer(session, incident, phone, "late_cancel")
    return Received("closed", alarm, incident, None, created=created, keyword="cancel")


async def _lately_closed_sms_alarm(session: AsyncSession, phone: str) -> tuple[Alarm, Incident] | None:
    """The newest alarm that came by SMS from this phone, with its incident locked, when that
    incident was closed within `LATE_CANCEL_WINDOW`; else None."""
    row = (
        await session.execute(
            select(Alarm.id, Alarm.incident_id)
            .join(Reporter, Reporter.id == Alarm.reporter_id)
            .where(Alarm.channel == "sms", Reporter.phone == phone)
            .order_by(Alarm.id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    incident = await incident_service.lock(session, row.incident_id)
    closed_at = incident.closed_at
    if incident.status != "closed" or closed_at is None or utcnow() - closed_at > LATE_CANCEL_WINDOW:
        return None
    alarm = await session.get(Alarm, row.id)
    assert alarm is not None
    return alarm, incident


async def _one_sender_at_a_time(session: AsyncSession, phone: str) -> None:
    """Wait for any other transaction applying a text from `phone`, until this one ends:
    PostgreSQL's transaction-scoped advisory lock on a number made from the phone. SQLite's
    transactions already take turns (`BEGIN IMMEDIATE`)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"netalarm-sms-sender:{phone}".encode()).digest()
    await session.execute(select(func.pg_advisory_xact_lock(int.from_bytes(digest[:8], "big", signed=True))))


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


def _fitted(text: str) -> str:
    """`text`, or when longer than a message may be, its beginning with a note of how much was
    cut: refused, the gateway would drop the alarm with it."""
    if len(text) <= messaging_service.MAX_TEXT:
        return text
    keep = messaging_service.MAX_TEXT - 64
    return f"{text[:keep]}…\n（短信过长，截去 {len(text) - keep} 字 · {len(text) - keep} characters cut）"


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
        return Received(
            "alarm", row[0], row[1], None, created=False, keyword=keyword_in(row[0].description, "alarm")
        )
    message = await messaging_service.by_key(session, key)
    if message is None:
        return None
    alarm = await session.get(Alarm, message.alarm_id)
    incident = await session.get(Incident, message.incident_id)
    assert alarm is not None and incident is not None
    return Received(
        "message", alarm, incident, message.id, created=False, keyword=keyword_in(message.text, "message")
    )


async def _open_sms_alarm(session: AsyncSession, phone: str) -> tuple[Alarm, Incident] | None:
    """The newest alarm that came by SMS from this phone whose incident is not closed, with
    its incident locked: a case a seat closes meanwhile is seen closed (the text then raises a
    new alarm instead of being refused, and lost, for a closed case)."""
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
    if row is None:
        return None
    incident = await incident_service.lock(session, row[1].id)
    return None if incident.status == "closed" else (row[0], incident)
