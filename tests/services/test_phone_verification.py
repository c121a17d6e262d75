"""Verifying a reporter's phone by a code sent by SMS, on SQLite and PostgreSQL: the code goes
through the SMS outbox and is kept only as an HMAC; it expires, is used up by wrong codes,
is sent to one number only so often; nobody but the phone ever reads it; an alarm raised by
SMS is verified by the carrier; an alarm without a phone, or never verified, is as ever."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.accounts.models import Reporter
from netalarm.channels.sms import inbound
from netalarm.channels.sms import service as sms_service
from netalarm.channels.sms import worker as sms_worker
from netalarm.channels.sms.file import FileTransport
from netalarm.channels.sms.models import SmsDelivery
from netalarm.core.clock import utcnow
from netalarm.core.db import transaction
from netalarm.core.errors import Conflict, Invalid, TooManyRequests
from netalarm.core.outbox import OutboxEvent
from netalarm.incidents import actions
from netalarm.incidents import service as incident_service
from netalarm.intake.service import Submitted
from netalarm.timeline import service as timeline_service
from netalarm.timeline.words import describe
from netalarm.verification import service as verification
from netalarm.verification.models import PhoneVerification
from tests.support import factories
from tests.support.factories import Tree

KEY = b"k" * 32
POLICY = verification.Policy(ttl_s=600, max_attempts=5, resend_s=60, max_sends=5, window_s=3600)
# No wait between codes: for the tests that send several in a row.
EAGER = verification.Policy(ttl_s=600, max_attempts=5, resend_s=0, max_sends=3, window_s=3600)
CODE = re.compile(r"验证码 (\d{6})")


def _phone() -> str:
    """A number of this test's own: sends are counted per number, across alarms and tests."""
    return f"139{secrets.randbelow(10**8):08d}"


def _actor(made: Submitted) -> str:
    return f"reporter:{made.alarm.reporter_id}"


async def _alarm(session: AsyncSession, phone: str | None = None, **fields: object) -> tuple[Tree, Submitted]:
    t = await factories.tree(session)
    person = {"reporter": {"phone": phone or _phone()}} if phone != "" else {}
    return t, await factories.alarm(session, t.city, Tree.A_POINT, **person, **fields)


async def _send(
    session: AsyncSession, made: Submitted, policy: verification.Policy = POLICY, **kw: bool
) -> str:
    """Send a code; the code, as the SMS on its way holds it."""
    sent = await verification.send_code(session, made.alarm, key=KEY, policy=policy, actor=_actor(made), **kw)
    delivery = await session.get(SmsDelivery, sent.delivery_id)
    assert delivery is not None
    found = CODE.search(delivery.text)
    assert found is not None, delivery.text
    return found[1]


async def _confirm(session: AsyncSession, made: Submitted, code: str) -> None:
    await verification.confirm(session, made.alarm, code, key=KEY, policy=POLICY, actor=_actor(made))


def _other(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def _entries(session: AsyncSession, made: Submitted) -> list[tuple[str, dict]]:
    return [(e.type, e.data) for e in await timeline_service.entries(session, made.incident.id)]


async def test_a_code_goes_out_through_the_sms_outbox_and_is_stored_only_as_its_hmac(
    session: AsyncSession,
) -> None:
    _, made = await _alarm(session)
    code = await _send(session, made)
    [row] = await session.scalars(
        select(PhoneVerification).where(PhoneVerification.alarm_id == made.alarm.id)
    )
    assert row.code_hash == verification.code_hash(KEY, row.id, code) and code not in row.code_hash
    assert row.expires_at - row.created_at == timedelta(seconds=POLICY.ttl_s)
    delivery = await session.get(SmsDelivery, row.delivery_id)
    assert delivery is not None and delivery.status == "pending" and delivery.to_source == "reporter"
    [listed] = await sms_service.for_incident(session, made.incident.id)
    assert code not in listed["text"] and verification.HIDDEN in listed["text"]
    types = [t for t, _ in await _entries(session, made)]
    assert types == ["alarm_received", "sms_queued", "phone_verification_sent"]
    sent = (await _entries(session, made))[-1][1]
    assert sent["alarm_id"] == str(made.alarm.id) and "****" in sent["to"] and sent["expires_at"]
    state = await verification.for_reporter(session, made.alarm, policy=POLICY)
    assert (state["verified"], state["attempts_left"]) == (False, 5)
    assert 0 < state["next_code_in_s"] <= POLICY.resend_s
    assert state["phone"] is not None and "****" in state["phone"]


async def test_the_right_code_verifies_the_phone_for_the_seats_and_says_so_on_the_timeline(
    session: AsyncSession,
) -> None:
    _, made = await _alarm(session)
    code = await _send(session, made)
    await _confirm(session, made, code)
    reporter = await session.get(Reporter, made.alarm.reporter_id)
    status = verification.phone_status(reporter)
    assert (status["phone_given"], status["phone_verified"], status["phone_verified_via"]) == (
        True,
        True,
        "sms_code",
    )
    kind, data = (await _entries(session, made))[-1]
    assert (kind, data["via"], data["alarm_id"]) == ("phone_verified", "sms_code", str(made.alarm.id))
    assert "typed back" in describe({"type": kind, "data": data}, "en")
    assert "已核实" in describe({"type": kind, "data": data}, "zh")
    with pytest.raises(Conflict) as again:
        await _send(session, made)
    assert again.value.code == "phone_already_verified"
    assert (await timeline_service.verify(session, made.incident.id)).ok


async def test_wrong_codes_are_counted_and_the_fifth_uses_the_code_up(session: AsyncSession) -> None:
    _, made = await _alarm(session)
    code = await _send(session, made)
    for left in (4, 3, 2, 1):
        with pytest.raises(Invalid) as wrong:
            await _confirm(session, made, _other(code))
        assert (wrong.value.code, wrong.value.field, wrong.value.details["attempts_left"]) == (
            "wrong_code",
            "code",
            left,
        )
    with pytest.raises(TooManyRequests) as used_up:
        await _confirm(session, made, _other(code))
    assert used_up.value.code == "too_many_attempts"
    # The next code may go in under a minute: the answer says when.
    assert 0 < int(str(used_up.value.details["retry_after_s"])) <= POLICY.resend_s
    with pytest.raises(TooManyRequests):
        await _confirm(session, made, code)  # the right code is too late now
    failed = [d for t, d in await _entries(session, made) if t == "phone_verification_failed"]
    assert [(d["attempt"], d["attempts_left"]) for d in failed] == [(1, 4), (2, 3), (3, 2), (4, 1), (5, 0)]
    assert "attempt 5, 0 left" in describe({"type": "phone_verification_failed", "data": failed[-1]}, "en")
    assert "还剩 0 次" in describe({"type": "phone_verification_failed", "data": failed[-1]}, "zh")
    reporter = await session.get(Reporter, made.alarm.reporter_id)
    assert reporter is not None and reporter.phone_verified_at is None


async def test_an_expired_code_is_refused_and_a_new_code_replaces_the_old_one(session: AsyncSession) -> None:
    _, made = await _alarm(session)
    first = await _send(session, made, EAGER)
    row = await session.scalar(select(PhoneVerification).where(PhoneVerification.alarm_id == made.alarm.id))
    assert row is not None
    row.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(Invalid) as expired:
        await _confirm(session, made, first)
    assert (expired.value.code, expired.value.field) == ("code_expired", "code")
    second = await _send(session, made, EAGER)
    if first != second:
        with pytest.raises(Invalid):
            await _confirm(session, made, first)
    await _confirm(session, made, second)
    outcomes = await session.scalars(
        select(PhoneVerification.outcome)
        .where(PhoneVerification.alarm_id == made.alarm.id)
        .order_by(PhoneVerification.created_at)
    )
    assert list(outcomes) == ["replaced", "verified"]


async def test_a_number_gets_another_code_only_after_the_wait_and_so_many_per_window(
    session: AsyncSession,
) -> None:
    phone = _phone()
    _, made = await _alarm(session, phone)
    await _send(session, made)
    with pytest.raises(TooManyRequests) as soon:
        await _send(session, made)
    assert soon.value.code == "code_recently_sent"
    assert 0 < int(str(soon.value.details["retry_after_s"])) <= POLICY.resend_s
    # Other alarms naming the same number share its count: a prank cannot text a stranger on.
    _, other = await _alarm(session, phone)
    await _send(session, other, EAGER)
    await _send(session, other, EAGER)
    with pytest.raises(TooManyRequests) as many:
        await _send(session, other, EAGER)
    assert many.value.code == "too_many_codes"
    assert EAGER.window_s - 60 < int(str(many.value.details["retry_after_s"])) <= EAGER.window_s
    assert (await verification.for_reporter(session, other.alarm, policy=EAGER))["next_code_in_s"] > 0


async def test_no_phone_a_closed_case_and_a_silent_alarm_get_no_code(session: AsyncSession) -> None:
    _, bare = await _alarm(session, "")
    for attempt in (_send(session, bare), _confirm(session, bare, "123456")):
        with pytest.raises(Conflict) as refused:
            await attempt
        assert (refused.value.code, refused.value.field) == ("no_phone", "reporter.phone")
    assert (await verification.for_reporter(session, bare.alarm, policy=POLICY))["phone"] is None

    t, made = await _alarm(session)
    with pytest.raises(Conflict) as no_code:
        await _confirm(session, made, "123456")
    assert no_code.value.code == "no_code"
    await actions.act(session, t.a_seat, made.incident.id, "close", disposition="false_alarm")
    with pytest.raises(Conflict) as closed:
        await _send(session, made)
    assert closed.value.code == "incident_closed"

    _, quiet = await _alarm(session, silent=True)
    with pytest.raises(Conflict) as silent:
        await _send(session, quiet)
    assert (silent.value.code, silent.value.field) == ("silent_alarm", "even_if_silent")
    assert (
        await session.scalar(select(SmsDelivery).where(SmsDelivery.incident_id == quiet.incident.id)) is None
    )
    await _send(session, quiet, even_if_silent=True)  # the reporter asked for it all the same


async def test_a_code_waiting_to_be_sent_when_the_reporter_asks_for_quiet_is_withheld_unread(
    session: AsyncSession,
) -> None:
    _, made = await _alarm(session)
    code = await _send(session, made)
    assert await incident_service.ask_quiet(session, made.alarm, actor=_actor(made))
    assert await sms_service.withhold_pending(session, made.incident) == 1
    delivery = await session.scalar(select(SmsDelivery).where(SmsDelivery.incident_id == made.incident.id))
    assert delivery is not None and delivery.status == "failed" and code not in delivery.text
    withheld = [d for t, d in await _entries(session, made) if t == "sms_withheld"]
    assert len(withheld) == 1 and code not in withheld[0]["text"]


async def test_the_code_is_in_no_timeline_entry_nor_event(session: AsyncSession) -> None:
    _, made = await _alarm(session)
    code = await _send(session, made)
    with pytest.raises(Invalid):
        await _confirm(session, made, _other(code))
    await _confirm(session, made, code)
    entries = orjson.dumps([d for _, d in await _entries(session, made)]).decode()
    events = await session.scalars(select(OutboxEvent).where(OutboxEvent.incident_id == made.incident.id))
    assert code not in entries and all(code not in orjson.dumps(e.data).decode() for e in events)


async def test_an_sms_alarm_is_verified_by_the_carrier_without_a_code(session: AsyncSession) -> None:
    t = await factories.tree(session)
    sms = inbound.Inbound(message_id=f"gw-{secrets.token_hex(6)}", sender=_phone(), text="help, robbery")
    received = await inbound.receive(session, sms, root=t.city, timezone="Asia/Shanghai")
    reporter = await session.get(Reporter, received.alarm.reporter_id)
    status = verification.phone_status(reporter)
    assert (status["phone_verified"], status["phone_verified_via"]) == (True, "carrier")
    [data] = [
        e.data
        for e in await timeline_service.entries(session, received.incident.id)
        if e.type == "phone_verified"
    ]
    assert data["via"] == "carrier"
    assert "carrier" in describe({"type": "phone_verified", "data": data}, "en")
    assert "运营商" in describe({"type": "phone_verified", "data": data}, "zh")
    sent = await session.scalar(
        select(PhoneVerification).where(PhoneVerification.alarm_id == received.alarm.id)
    )
    assert sent is None


async def test_an_alarm_whose_phone_is_never_verified_is_seen_as_not_verified(session: AsyncSession) -> None:
    _, made = await _alarm(session)
    reporter = await session.get(Reporter, made.alarm.reporter_id)
    assert verification.phone_status(reporter) == {
        "phone_given": True,
        "phone_verified": False,
        "phone_verified_via": None,
        "phone_verified_at": None,
    }
    assert verification.phone_status(None)["phone_given"] is False


async def test_once_sent_the_delivery_keeps_only_the_hidden_text(
    own_database: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with transaction(own_database) as session:
        _, made = await _alarm(session)
        code = await _send(session, made)
    path = tmp_path / "sms" / "outbox.jsonl"
    worker = sms_worker.Worker(
        own_database, FileTransport(path), sms_worker.Policy(max_attempts=3, retry_s=0.05)
    )
    assert await worker.run_once() == 1
    await worker.stop()
    [line] = [orjson.loads(raw) for raw in path.read_bytes().splitlines()]
    assert code in line["text"]  # the phone gets it
    async with own_database() as session:
        delivery = await session.get(SmsDelivery, uuid.UUID(line["id"]))
        assert delivery is not None and delivery.status == "sent"
        assert code not in delivery.text and verification.HIDDEN in delivery.text
