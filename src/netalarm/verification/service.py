"""Verifying the phone number a reporter typed, by a code sent to it by SMS; optional, and
never in the way of an alarm (an alarm with no phone, or an unverified one, works as ever).

The rules:
- A code is asked for (`send_code`) on an open alarm whose reporter gave a phone that is
  not verified yet. It goes through the SMS channel's outbox (`sms_service.queue_secret`):
  seats, the timeline and events see the text with the code hidden, and the delivery row
  keeps the code only until it is sent. A silent alarm gets no code unless the reporter
  asks for it even so (`even_if_silent`): a text may give away a hidden phone.
- Only the code's HMAC under the server's key is stored (`code_hash`); six digits hashed
  without a key would be read back from a copy of the database in a second.
- A code is valid for `Policy.ttl_s`; `Policy.max_attempts` wrong codes use it up, and a new
  one must be asked for. A new code replaces the one before.
- One number is sent at most `Policy.max_sends` codes per `Policy.window_s`, whatever alarm
  asks, and none within `Policy.resend_s` of the last: 429 with `retry_after_s`. A prank
  cannot make the server text a stranger's phone over and over.
- The code is compared in constant time. Every step is a timeline entry
  (`phone_verification_sent`, `phone_verification_failed`, `phone_verified`), never with
  the code in it.
- An alarm that came by SMS came from the number itself: the carrier vouches for it
  (`carrier_verified`), no code is sent.

The verified state belongs to the reporter (`Reporter.phone_verified_at`, `_via`): the
reporter of several alarms (a reporter token reused) verifies their number once. Each
function locks the alarm's incident, so the attempts at one code are counted one at a time;
it flushes, and the caller commits — a refused code too (`confirm`), or the next guess
would not know of this one."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts.models import Reporter
from netalarm.channels import contact
from netalarm.channels.sms import service as sms_service
from netalarm.core.clock import iso, utcnow
from netalarm.core.errors import Conflict, DomainError, Invalid, TooManyRequests
from netalarm.core.ids import uuid7
from netalarm.core.settings import Settings
from netalarm.incidents import service as incident_service
from netalarm.incidents.models import Alarm, Incident
from netalarm.verification.models import PhoneVerification

CODE_DIGITS = 6
# The text of the SMS, in both languages (the reporter's may be either); `HIDDEN` stands for
# the code wherever anyone but the phone's owner reads it.
CODE_TEXT = (
    "【报警】验证码 {code}，{minutes} 分钟内有效，请勿告诉他人。"
    "Alarm phone code {code}, valid {minutes} min. Do not share it."
)
HIDDEN = "******"


@dataclass(frozen=True)
class Policy:
    """How long a code lives, how many wrong codes it takes, how often a number gets one."""

    ttl_s: int = 600
    max_attempts: int = 5
    resend_s: int = 60
    max_sends: int = 5
    window_s: int = 3600

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        return cls(
            ttl_s=settings.phone_code_ttl_s,
            max_attempts=settings.phone_code_max_attempts,
            resend_s=settings.phone_code_resend_s,
            max_sends=settings.phone_code_max_sends,
            window_s=settings.phone_code_window_s,
        )


def new_code() -> str:
    """Six random digits, every one of the million alike likely."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(key: bytes, verification_id: uuid.UUID, code: str) -> str:
    """The HMAC-SHA256 (hex) of `code` under the server's key, bound to one verification."""
    message = b"phone-code:" + verification_id.bytes + code.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


async def _open_alarm(session: AsyncSession, alarm: Alarm) -> tuple[Incident, Reporter, str]:
    """The alarm's incident (locked) and reporter with their phone, when a code may be sent
    or checked: 409 `incident_closed`, `no_phone` or `phone_already_verified` otherwise."""
    incident = await incident_service.lock(session, alarm.incident_id)
    await session.refresh(alarm)
    if incident.status == "closed":
        raise Conflict("the case is closed", code="incident_closed")
    reporter = await session.get(Reporter, alarm.reporter_id)
    if reporter is None or not reporter.phone:
        raise Conflict("the alarm has no phone number to verify", field="reporter.phone", code="no_phone")
    if reporter.phone_verified_at is not None:
        raise Conflict("the phone number is already verified", code="phone_already_verified")
    return incident, reporter, reporter.phone


async def _latest(session: AsyncSession, alarm_id: uuid.UUID) -> PhoneVerification | None:
    found: PhoneVerification | None = await session.scalar(
        select(PhoneVerification)
        .where(PhoneVerification.alarm_id == alarm_id)
        .order_by(PhoneVerification.created_at.desc(), PhoneVerification.id.desc())
        .limit(1)
    )
    return found


def _seconds(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


async def send_wait(
    session: AsyncSession, phone: str, policy: Policy, now: datetime
) -> tuple[str, int] | None:
    """Why another code may not go to `phone` yet and for how many seconds: `too_many_codes`
    (`max_sends` in the window) or `code_recently_sent` (within `resend_s` of the last); None
    when one may go now."""
    sent = list(
        await session.scalars(
            select(PhoneVerification.created_at)
            .where(
                PhoneVerification.phone == phone,
                PhoneVerification.created_at > now - timedelta(seconds=policy.window_s),
            )
            .order_by(PhoneVerification.created_at)
        )
    )
    if len(sent) >= policy.max_sends:
        frees = sent[len(sent) - policy.max_sends] + timedelta(seconds=policy.window_s)
        return "too_many_codes", _seconds(frees, now)
    if sent and sent[-1] + timedelta(seconds=policy.resend_s) > now:
        return "code_recently_sent", _seconds(sent[-1] + timedelta(seconds=policy.resend_s), now)
    return None


_WAIT_MESSAGES = {
    "too_many_codes": "too many codes were sent to this number: try again in {s} s",
    "code_recently_sent": "a code was just sent to this number: another one in {s} s",
}


async def send_code(
    session: AsyncSession,
    alarm: Alarm,
    *,
    key: bytes,
    policy: Policy,
    actor: str,
    even_if_silent: bool = False,
) -> PhoneVerification:
    """Send a new code to the phone of `alarm`'s reporter (see the module's rules): the
    `pending` SMS, the code's row, and a `phone_verification_sent` entry, in the caller's
    transaction; the SMS worker sends it after the commit. Refusals: 409 `incident_closed`,
    `no_phone`, `phone_already_verified`, `silent_alarm` (field `even_if_silent`); 429
    `too_many_codes` or `code_recently_sent` with `retry_after_s`."""
    incident, reporter, phone = await _open_alarm(session, alarm)
    if (alarm.silent or incident.silent) and not even_if_silent:
        raise Conflict(
            "this alarm is silent and a text may give a hidden phone away: "
            "send even_if_silent true to have the code all the same",
            field="even_if_silent",
            code="silent_alarm",
        )
    now = utcnow()
    wait = await send_wait(session, phone, policy, now)
    if wait is not None:
        code, seconds = wait
        raise TooManyRequests(
            _WAIT_MESSAGES[code].format(s=seconds), code=code, details={"retry_after_s": seconds}
        )
    await session.execute(
        update(PhoneVerification)
        .where(PhoneVerification.alarm_id == alarm.id, PhoneVerification.ended_at.is_(None))
        .values(ended_at=now, outcome="replaced")
        .execution_options(synchronize_session=False)
    )
    code = new_code()
    minutes = max(1, policy.ttl_s // 60)
    delivery = await sms_service.queue_secret(
        session,
        incident,
        phone,
        text=CODE_TEXT.format(code=code, minutes=minutes),
        shown=CODE_TEXT.format(code=HIDDEN, minutes=minutes),
    )
    verification = PhoneVerification(
        id=uuid7(),
        alarm_id=alarm.id,
        reporter_id=reporter.id,
        phone=phone,
        delivery_id=delivery.id,
        created_at=now,
        expires_at=now + timedelta(seconds=policy.ttl_s),
        failures=0,
    )
    verification.code_hash = code_hash(key, verification.id, code)
    session.add(verification)
    await session.flush()
    await incident_service.record(
        session,
        incident,
        actor=actor,
        type="phone_verification_sent",
        data={
            "alarm_id": str(alarm.id),
            "to": contact.mask(phone),
            "delivery_id": str(delivery.id),
            "expires_at": iso(verification.expires_at),
        },
    )
    return verification


async def confirm(
    session: AsyncSession, alarm: Alarm, code: str, *, key: bytes, policy: Policy, actor: str
) -> None:
    """Check `code` against the alarm's latest code. Right: the reporter's phone is verified
    (`sms_code`) and a `phone_verified` entry says so. Wrong: counted on the code, a
    `phone_verification_failed` entry, and 422 `wrong_code` (with `attempts_left`), or at
    the last allowed attempt 429 `too_many_attempts`: a new code is needed. Other refusals:
    those of `send_code`'s first line, 409 `no_code` (none was sent), 422 `code_expired`, and
    429 `too_many_attempts` for a used-up code; each with `retry_after_s` when a new code
    cannot be sent at once. A refusal may have flushed a count: the caller commits it."""
    incident, reporter, phone = await _open_alarm(session, alarm)
    now = utcnow()
    latest = await _latest(session, alarm.id)
    if latest is None:
        raise Conflict("no code was sent for this alarm: ask for one first", field="code", code="no_code")
    if latest.outcome == "exhausted":
        raise await _used_up(session, phone, policy, now, attempts_left=0)
    if latest.expires_at <= now:
        raise Invalid("the code has expired: ask for a new one", field="code", code="code_expired")
    if hmac.compare_digest(latest.code_hash, code_hash(key, latest.id, code)):
        latest.ended_at, latest.outcome = now, "verified"
        await _verified(session, incident, alarm, reporter, phone, via="sms_code", actor=actor)
        return
    latest.failures += 1
    left = max(0, policy.max_attempts - latest.failures)
    if left == 0:
        latest.ended_at, latest.outcome = now, "exhausted"
    await incident_service.record(
        session,
        incident,
        actor=actor,
        type="phone_verification_failed",
        data={"alarm_id": str(alarm.id), "attempt": latest.failures, "attempts_left": left},
    )
    await session.flush()
    if left == 0:
        raise await _used_up(session, phone, policy, now, attempts_left=0)
    raise Invalid(
        f"wrong code: {left} attempt{'s' if left != 1 else ''} left",
        field="code",
        code="wrong_code",
        details={"attempts_left": left},
    )


async def _used_up(
    session: AsyncSession, phone: str, policy: Policy, now: datetime, *, attempts_left: int
) -> DomainError:
    details: dict[str, object] = {"attempts_left": attempts_left}
    wait = await send_wait(session, phone, policy, now)
    if wait is not None:
        details["retry_after_s"] = wait[1]
    return TooManyRequests(
        "too many wrong codes: ask for a new code", field="code", code="too_many_attempts", details=details
    )


async def carrier_verified(session: AsyncSession, incident: Incident, alarm: Alarm) -> bool:
    """An alarm that came by SMS came from its reporter's phone: the carrier vouches for the
    number, and no code is sent. Marks it verified (`carrier`) with a `phone_verified` entry
    (actor `system:sms`); False when the reporter has no phone or it was verified before."""
    reporter = await session.get(Reporter, alarm.reporter_id)
    if reporter is None or not reporter.phone or reporter.phone_verified_at is not None:
        return False
    await _verified(session, incident, alarm, reporter, reporter.phone, via="carrier", actor="system:sms")
    return True


async def _verified(
    session: AsyncSession,
    incident: Incident,
    alarm: Alarm,
    reporter: Reporter,
    phone: str,
    *,
    via: str,
    actor: str,
) -> None:
    """Mark the reporter's phone verified (`via`: `sms_code` or `carrier`), with the
    `phone_verified` entry that tells the seats."""
    reporter.phone_verified_at, reporter.phone_verified_via = utcnow(), via
    await incident_service.record(
        session,
        incident,
        actor=actor,
        type="phone_verified",
        data={"alarm_id": str(alarm.id), "to": contact.mask(phone), "via": via},
    )


def phone_status(reporter: Reporter | None) -> dict[str, Any]:
    """Whether the reporter gave a phone and whether it is verified, how and when: the
    `reporter` of an incident as seats see it, and part of the identity read."""
    given = bool(reporter is not None and reporter.phone)
    verified = given and reporter is not None and reporter.phone_verified_at is not None
    return {
        "phone_given": given,
        "phone_verified": verified,
        "phone_verified_via": reporter.phone_verified_via if verified and reporter else None,
        "phone_verified_at": iso(reporter.phone_verified_at) if verified and reporter else None,
    }


async def for_reporter(session: AsyncSession, alarm: Alarm, *, policy: Policy) -> dict[str, Any]:
    """The phone of `alarm` as its reporter sees it: `phone` (masked; null when none was
    given), `verified` with `verified_via` and `verified_at`, `silent` (a code then needs
    `even_if_silent`), the open code (`code_expires_at`, `attempts_left`; null when there
    is none to type), and `next_code_in_s` (0 when a code may be asked for now)."""
    await session.refresh(alarm)
    incident = await session.get(Incident, alarm.incident_id)
    reporter = await session.get(Reporter, alarm.reporter_id)
    status = phone_status(reporter)
    phone = reporter.phone if reporter is not None and reporter.phone else None
    now = utcnow()
    latest = await _latest(session, alarm.id)
    usable = latest is not None and latest.ended_at is None and latest.expires_at > now
    wait = await send_wait(session, phone, policy, now) if phone and not status["phone_verified"] else None
    return {
        "phone": contact.mask(phone) if phone else None,
        "verified": status["phone_verified"],
        "verified_via": status["phone_verified_via"],
        "verified_at": status["phone_verified_at"],
        "silent": bool(alarm.silent or (incident is not None and incident.silent)),
        "code_sent_at": iso(latest.created_at) if usable and latest else None,
        "code_expires_at": iso(latest.expires_at) if usable and latest else None,
        "attempts_left": policy.max_attempts - latest.failures if usable and latest else None,
        "next_code_in_s": wait[1] if wait else 0,
    }
