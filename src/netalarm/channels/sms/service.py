"""Queueing an SMS to the reporter and listing an incident's SMS, as seats see them.

Queueing writes, in the caller's transaction, the `pending` delivery row and the
`sms_queued` timeline entry (whose outbox event updates the consoles); the worker
(`worker.py`) sends it only after that commits."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts.service import SeatIdentity
from netalarm.channels import contact
from netalarm.channels.sms.models import SmsAttempt, SmsDelivery, seen_text
from netalarm.channels.sms.worker import ACTOR
from netalarm.core.clock import iso, utcnow
from netalarm.core.errors import Conflict, Invalid
from netalarm.incidents import service as incident_service
from netalarm.incidents.models import Alarm, Incident
from netalarm.messaging.models import Message
from netalarm.timeline.models import TimelineEntry

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
    return await _enqueue(
        session, incident, seat.actor, seat.username, number=number, source=source, text=text
    )


# Sent to whoever raised an alarm by SMS, in Chinese and English: the texter's language is
# unknown. It names the words they may text back (`keywords`): quiet, and cancel.
RECEIPT = (
    "【报警】已收到您的短信报警，警情编号 {case}。回复本号码可补充情况；"
    "不便接收短信请回复“静音”；误报请回复“取消报警”。"
    "Alarm received, case {case}. Reply to add details; QUIET if our texts put you at risk; "
    "CANCEL ALARM if sent by mistake."
)
# The receipt of an alarm that asked for quiet from its first text: short, and the promise.
QUIET_RECEIPT = (
    "【报警】已收到，警情编号 {case}。除非必要，我们不再给您发短信；回复本号码可补充情况。"
    "Received, case {case}. We will not text you unless needed. Reply to add details."
)


async def queue_receipt(session: AsyncSession, incident: Incident, number: str) -> SmsDelivery:
    """Tell the sender of a new SMS alarm that it was received, with its case number: queued in
    the transaction that stores the alarm (actor `system:sms`), sent after it commits. Someone
    who cannot call learns at once that the police have their text and where to reply; one
    who asked for quiet (a silent alarm), that no more texts will come unless needed."""
    template = QUIET_RECEIPT if incident.silent else RECEIPT
    text = template.format(case=incident.case_number)
    return await _enqueue(session, incident, ACTOR, "system", number=number, source="reporter", text=text)


# The answer to a reporter who cancelled their alarm by SMS, keyed by the reason: it is
# cancelled, the police may still get in touch, and how to ask for help after all.
WITHDRAWN_TEXTS: dict[str, str] = {
    "mistake": (
        "【报警】警情 {case}：已按您的短信撤销报警（误报）。"
        "警方可能仍会联系您确认安全；如仍需帮助，请直接回复。"
        "Case {case}: alarm cancelled (sent by mistake). Police may still contact you to make sure "
        "you are safe. If you need help after all, reply here."
    ),
    "safe": (
        "【报警】警情 {case}：已按您的短信撤销报警（已安全）。"
        "警方可能仍会联系您确认安全；如仍需帮助，请直接回复。"
        "Case {case}: alarm cancelled (you are safe now). Police may still contact you to make sure "
        "you are safe. If you need help after all, reply here."
    ),
}


async def queue_withdrawal_reply(
    session: AsyncSession, incident: Incident, number: str, reason: str
) -> SmsDelivery:
    """Confirm to a reporter who texted a cancellation (`keywords.withdrawal`) that their alarm
    is cancelled for `reason`, in the transaction that withdrew it (actor `system:sms`)."""
    text = WITHDRAWN_TEXTS[reason].format(case=incident.case_number)
    return await _enqueue(session, incident, ACTOR, "system", number=number, source="reporter", text=text)


# The answers to what a reporter texted besides a message (`keywords`), keyed by what it was:
# quiet lifted (texts start again); and a cancellation texted after the case was closed
# (nothing to cancel, and how to get help if they need it now).
ANSWERS: dict[str, str] = {
    "quiet_off": (
        "【报警】警情 {case}：已恢复短信通知，处置进展将发送至本号码。"
        "Case {case}: texts are back on; we will text you as the case moves on."
    ),
    "late_cancel": (
        "【报警】警情 {case} 已结案，无需撤销。如需帮助，请回复本号码或拨打110。"
        "Case {case} is already closed; there is nothing to cancel. "
        "If you need help now, reply here or call 110."
    ),
}


async def queue_answer(session: AsyncSession, incident: Incident, number: str, kind: str) -> SmsDelivery:
    """Answer a reporter's keyword text with `ANSWERS[kind]` for `incident`, in the
    transaction that applied it (actor `system:sms`)."""
    text = ANSWERS[kind].format(case=incident.case_number)
    return await _enqueue(session, incident, ACTOR, "system", number=number, source="reporter", text=text)


# Sent to whoever raised an alarm by SMS as the case moves on (see RECEIPT): that police are
# on their way, and that the case is closed. Keyed by the status they tell of.
STATUS_TEXTS: dict[str, str] = {
    "dispatched": (
        "【报警】警情 {case}：已派警处置，请注意安全。Case {case}: police have been dispatched. Stay safe."
    ),
    "closed": "【报警】警情 {case} 已结案，感谢您的报警。Case {case} is closed. Thank you for reporting.",
}


async def queue_secret(
    session: AsyncSession, incident: Incident, number: str, *, text: str, shown: str
) -> SmsDelivery:
    """Queue a text that holds a secret (a verification code) to the reporter's `number`, in
    the caller's transaction (actor `system:sms`). Seats, the timeline and events only ever
    see `shown` (the text with the secret hidden); the delivery keeps `text` until it is sent
    or failed (`worker.record`), then `shown` too."""
    return await _enqueue(
        session, incident, ACTOR, "system", number=number, source="reporter", text=text, shown=shown
    )


async def queue_status(session: AsyncSession, incident: Incident, *, actor: str) -> SmsDelivery | None:
    """Tell whoever raised `incident` (locked by the caller) by SMS that police were
    dispatched, or that the case is closed, once each, when it is so now: queued in the
    transaction that moved it (by `actor`), sent after it commits. None when there is nothing
    (more) to tell, no alarm of the incident came by SMS from a valid number, or it was closed
    as a duplicate (its alarms went on with the case it joined, which tells them). A silent
    incident (the reporter asked for quiet, or alarmed silently) is not texted: an
    `sms_withheld` entry says what was not sent and why, once per status."""
    template = STATUS_TEXTS.get(incident.status)
    if template is None or incident.disposition == "duplicate":
        return None
    told = await session.scalars(
        select(TimelineEntry.data).where(
            TimelineEntry.incident_id == incident.id,
            TimelineEntry.type.in_(("sms_queued", "sms_withheld")),
        )
    )
    if any(data.get("status") == incident.status for data in told):
        return None
    for alarm_id in await incident_service.alarm_ids(session, incident.id):
        number = await _texter(session, alarm_id)
        if number is None:
            continue
        if incident.silent:
            await incident_service.record(
                session,
                incident,
                actor=actor,
                type="sms_withheld",
                data={"to": contact.mask(number), "status": incident.status, "reason": "silent"},
            )
            return None
        text = template.format(case=incident.case_number)
        return await _enqueue(
            session,
            incident,
            actor,
            "system",
            number=number,
            source="reporter",
            text=text,
            status=incident.status,
        )
    return None


# Why an SMS that was waiting to be sent never was (`withhold_pending`), on its delivery row.
WITHHELD = "withheld: the reporter asked for quiet before it was sent"


async def withhold_pending(session: AsyncSession, incident: Incident) -> int:
    """When a reporter asks for quiet, what still waits to be sent on `incident` (locked by the
    caller) is not sent: a seat's SMS or chat reply, a status text, one waiting to be tried
    again after a gateway failure. Each `pending` delivery becomes `failed` (`WITHHELD`), with
    an `sms_withheld` entry naming it, so the seat sees it was not sent and may send it again;
    one a worker is sending at this moment cannot be stopped. Returns how many."""
    withheld = await session.execute(
        update(SmsDelivery)
        .where(SmsDelivery.incident_id == incident.id, SmsDelivery.status == "pending")
        .values(status="failed", failed_at=utcnow(), last_error=WITHHELD, text=seen_text())
        .returning(SmsDelivery.id, SmsDelivery.to, SmsDelivery.text)
        .execution_options(synchronize_session=False)
    )
    rows = sorted(withheld.all(), key=lambda row: row.id)
    for row in rows:
        await incident_service.record(
            session,
            incident,
            actor=ACTOR,
            type="sms_withheld",
            data={
                "delivery_id": str(row.id),
                "to": contact.mask(row.to),
                "text": row.text,
                "reason": "silent",
            },
        )
    return len(rows)


async def _enqueue(
    session: AsyncSession,
    incident: Incident,
    actor: str,
    sender: str,
    *,
    number: str,
    source: str,
    text: str,
    status: str | None = None,
    shown: str | None = None,
) -> SmsDelivery:
    """The `pending` delivery and its `sms_queued` entry (by `actor`; `sender` is the seat's
    name, or `system`), on an incident the caller locked. `status`: the incident status the
    SMS tells of (`queue_status`), kept on the entry; `shown`: what the entry says instead of
    a `text` that holds a secret (`queue_secret`)."""
    now = utcnow()
    delivery = SmsDelivery(
        incident_id=incident.id,
        to=number,
        to_source=source,
        text=text,
        shown_text=shown,
        seat_username=sender,
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
        actor=actor,
        type="sms_queued",
        data={
            "delivery_id": str(delivery.id),
            "to": contact.mask(number),
            "to_source": source,
            "text": shown if shown is not None else text,
            **({"status": status} if status else {}),
        },
    )
    return delivery


def _reply_prefix(incident: Incident) -> str:
    return f"[{incident.case_number}] "


async def _texter(session: AsyncSession, alarm_id: uuid.UUID) -> str | None:
    """The number to text about an alarm that came by SMS from a valid number; else None."""
    alarm = await session.get(Alarm, alarm_id)
    if alarm is None or alarm.channel != "sms":
        return None
    return await contact.phone_of(session, alarm.reporter_id)


async def reply_room(session: AsyncSession, incident: Incident) -> int | None:
    """How many characters a seat's chat message may have when it also goes to the reporter
    as an SMS (`queue_chat_reply`): when the conversation a seat writes to by default (the
    first alarm, as `messaging.service.default_alarm` picks it) came by SMS from a valid
    number; else None, also for an incident merged away, which has no alarm left."""
    first = (await incident_service.alarm_ids(session, incident.id))[:1]
    if not first or await _texter(session, first[0]) is None:
        return None
    return MAX_TEXT - len(_reply_prefix(incident))


async def queue_chat_reply(
    session: AsyncSession, incident: Incident, message: Message, *, actor: str, sender: str, cut: bool = False
) -> SmsDelivery | None:
    """A seat's chat message in the conversation of an alarm that came by SMS goes to that
    alarm's reporter as an SMS too, prefixed with the case number: queued here, in the
    message's transaction, like any SMS (`sms_queued` entry by `actor`, from the seat named
    `sender`; the worker sends it after the commit). None when the alarm did not come by SMS,
    its reporter has no phone, or the message has no text (a file alone cannot go by SMS).
    Over `MAX_TEXT` with the prefix: `Invalid` on field `text`, as for any SMS, and the
    caller's transaction, message included, is rolled back; or, with `cut` (a message relayed
    from another server, whose seat cannot be asked to shorten it), the text is cut to fit
    and ends in "…"."""
    number = await _texter(session, message.alarm_id) if message.text else None
    if number is None:
        return None
    prefix = _reply_prefix(incident)
    room = MAX_TEXT - len(prefix)
    text = message.text
    if len(text) > room:
        if not cut:
            raise Invalid(
                f"this alarm came by SMS and the reply goes out as one: "
                f"text must be at most {room} characters",
                field="text",
            )
        text = text[: room - 1] + "…"
    return await _enqueue(
        session, incident, actor, sender, number=number, source="reporter", text=prefix + text
    )


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
    `sent` (the transport took it) or `failed` (refused, or out of attempts; `withheld` when
    it was never tried because the reporter asked for quiet first, `withhold_pending`); the
    number is masked (see `contact.mask`)."""
    return {
        "id": str(delivery.id),
        "incident_id": str(delivery.incident_id),
        "status": "pending" if delivery.status == "sending" else delivery.status,
        "to": contact.mask(delivery.to),
        "to_source": delivery.to_source,
        "text": delivery.shown_text if delivery.shown_text is not None else delivery.text,
        "seat": delivery.seat_username,
        "at": iso(delivery.created_at),
        "attempts": delivery.attempts,
        "error": delivery.last_error,
        "withheld": delivery.last_error == WITHHELD,
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
