"""Inbound SMS as a service, on SQLite and PostgreSQL: a text raises an alarm or joins the
open SMS alarm of its sender; a repeat of the same gateway message changes nothing; a seat's
chat reply on an SMS alarm is queued as an SMS with the case number."""

from __future__ import annotations

import asyncio
import secrets
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.accounts.models import Reporter
from netalarm.channels.sms import inbound
from netalarm.channels.sms import service as sms_service
from netalarm.channels.sms.models import SmsDelivery
from netalarm.core.db import transaction
from netalarm.core.errors import Invalid
from netalarm.core.outbox import OutboxEvent
from netalarm.incidents import actions
from netalarm.incidents.models import Alarm
from netalarm.intake import service as intake_service
from netalarm.messaging import service as messaging_service
from netalarm.messaging.models import Message
from netalarm.timeline import service as timeline_service
from tests.support import factories
from tests.support.factories import Tree


def _phone() -> str:
    return f"1380013{secrets.randbelow(10_000):04d}"


def _sms(sender: str, text: str, message_id: str | None = None) -> inbound.Inbound:
    return inbound.Inbound(message_id=message_id or f"gw-{secrets.token_hex(6)}", sender=sender, text=text)


async def _receive(session: AsyncSession, t: Tree, sms: inbound.Inbound) -> inbound.Received:
    return await inbound.receive(session, sms, root=t.city, timezone="Asia/Shanghai")


async def _types(session: AsyncSession, incident_id: uuid.UUID) -> list[str]:
    return [e.type for e in await timeline_service.entries(session, incident_id)]


async def test_an_sms_from_a_number_without_an_open_alarm_raises_an_sms_alarm(session: AsyncSession) -> None:
    t = await factories.tree(session)
    phone = _phone()
    got = await _receive(session, t, _sms(phone, "  Someone is breaking into my car  "))
    assert (got.outcome, got.created, got.message_id) == ("alarm", True, None)
    alarm = got.alarm
    assert (alarm.channel, alarm.category, alarm.description) == (
        "sms",
        "other",
        "Someone is breaking into my car",
    )
    assert alarm.idempotency_key.startswith("sms:gw-")
    reporter = await session.get(Reporter, alarm.reporter_id)
    assert reporter is not None and reporter.phone == f"+86{phone}"
    # The number texted the alarm, so the carrier vouches for it; and the sender is told the
    # alarm was received, with its case number, by SMS.
    assert reporter.phone_verified_via == "carrier"
    assert await _types(session, got.incident.id) == ["alarm_received", "phone_verified", "sms_queued"]
    [receipt] = await session.scalars(select(SmsDelivery).where(SmsDelivery.incident_id == got.incident.id))
    assert (receipt.to, receipt.text, receipt.seat_username) == (
        f"+86{phone}",
        sms_service.RECEIPT.format(case=got.incident.case_number),
        "system",
    )
    assert got.public()["case_number"] == got.incident.case_number


async def test_a_reply_from_the_number_of_an_open_sms_alarm_is_the_reporters_chat_message(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    phone = _phone()
    first = await _receive(session, t, _sms(phone, "Help, a fight outside"))
    # The same person writes again, giving the number in another form.
    reply = await _receive(session, t, _sms(f"+86 {phone}", "They have knives"))
    assert (reply.outcome, reply.created) == ("message", True)
    assert (reply.alarm.id, reply.incident.id) == (first.alarm.id, first.incident.id)
    [message] = await messaging_service.for_alarm(session, first.alarm.id)
    assert (message.id, message.sender, message.text) == (reply.message_id, "reporter", "They have knives")
    entries = await timeline_service.entries(session, first.incident.id)
    assert [e.type for e in entries] == ["alarm_received", "phone_verified", "sms_queued", "message"]
    assert entries[-1].actor == f"reporter:{first.alarm.reporter_id}"
    events = await session.scalars(
        select(OutboxEvent.type).where(OutboxEvent.incident_id == first.incident.id).order_by(OutboxEvent.seq)
    )
    assert list(events) == ["alarm_received", "phone_verified", "sms_queued", "message"]


async def test_a_web_alarm_with_the_same_phone_does_not_take_the_sms(session: AsyncSession) -> None:
    t = await factories.tree(session)
    phone = _phone()
    web = await factories.alarm(session, t.city, Tree.A_POINT, reporter={"phone": phone})
    got = await _receive(session, t, _sms(phone, "Is anyone coming?"))
    assert got.outcome == "alarm" and got.incident.id != web.incident.id


async def test_the_same_gateway_message_twice_stores_one_alarm_and_one_message(session: AsyncSession) -> None:
    t = await factories.tree(session)
    phone = _phone()
    alarm_sms, reply_sms = _sms(phone, "Fire in the stairwell"), _sms(phone, "Third floor")
    first, again = await _receive(session, t, alarm_sms), await _receive(session, t, alarm_sms)
    assert (first.created, again.created, again.public()) == (True, False, first.public())
    reply, reply_again = await _receive(session, t, reply_sms), await _receive(session, t, reply_sms)
    assert (reply.created, reply_again.created, reply_again.public()) == (True, False, reply.public())
    assert await _types(session, first.incident.id) == [
        "alarm_received",
        "phone_verified",
        "sms_queued",
        "message",
    ]
    assert await session.scalar(select(func.count()).where(Alarm.reporter_id == first.alarm.reporter_id)) == 1


async def test_the_same_reply_delivered_twice_at_once_is_stored_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    phone = _phone()
    async with transaction(sessions) as session:
        t = await factories.tree(session)
        first = await _receive(session, t, _sms(phone, "Car crash on the bridge"))
    reply = _sms(phone, "Two people hurt")

    async def deliver() -> inbound.Received:
        async with transaction(sessions) as session:
            return await _receive(session, t, reply)

    answers = await asyncio.gather(deliver(), deliver())
    assert sorted(a.created for a in answers) == [False, True]
    assert answers[0].public() == answers[1].public()
    async with sessions() as session:
        assert len(await messaging_service.for_alarm(session, first.alarm.id)) == 1


async def test_two_texts_sent_together_from_a_new_number_make_one_case_not_two(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    phone = _phone()
    async with transaction(sessions) as session:
        t = await factories.tree(session)

    async def deliver(text: str) -> inbound.Received:
        async with transaction(sessions) as session:
            return await _receive(session, t, _sms(phone, text))

    answers = await asyncio.gather(deliver("Help, he has a knife"), deliver("Flat 12, Lotus Road 5"))
    assert sorted(a.outcome for a in answers) == ["alarm", "message"]
    assert len({a.incident.id for a in answers}) == 1
    async with sessions() as session:
        incident_id = answers[0].incident.id
        assert await session.scalar(select(func.count()).where(Alarm.incident_id == incident_id)) == 1
        receipts = await session.scalar(select(func.count()).where(SmsDelivery.incident_id == incident_id))
        assert receipts == 1


async def test_a_reply_arriving_while_a_seat_closes_the_case_raises_a_new_alarm_and_is_not_lost(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    phone = _phone()
    async with transaction(sessions) as session:
        t = await factories.tree(session)
        first = await _receive(session, t, _sms(phone, "Someone tried my door"))
    async with transaction(sessions) as closing:
        await actions.act(closing, t.city_seat, first.incident.id, "close", disposition="false_alarm")

        async def deliver() -> inbound.Received:
            async with transaction(sessions) as session:
                return await _receive(session, t, _sms(phone, "He is back, trying the window"))

        reply = asyncio.create_task(deliver())
        await asyncio.sleep(0.5)  # the reply waits for the closing seat's transaction
    got = await reply
    assert got.outcome == "alarm" and got.incident.id != first.incident.id
    assert got.alarm.description == "He is back, trying the window"


async def test_an_unparseable_sender_raises_the_alarm_without_a_phone_and_names_the_sender(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    got = await _receive(session, t, _sms("POLICE\x07TEST", "Robbery at the bank"))
    assert got.outcome == "alarm" and got.alarm.channel == "sms"
    assert got.alarm.description == (
        "Robbery at the bank\n\n(SMS sender is not a valid phone number: POLICE?TEST)"
    )
    reporter = await session.get(Reporter, got.alarm.reporter_id)
    assert reporter is not None and reporter.phone is None
    # It can never be matched, so a second text from it is a second alarm.
    second = await _receive(session, t, _sms("POLICE\x07TEST", "Still here"))
    assert second.outcome == "alarm" and second.incident.id != got.incident.id


async def test_a_closed_incidents_number_texting_again_raises_a_new_alarm(session: AsyncSession) -> None:
    t = await factories.tree(session)
    phone = _phone()
    first = await _receive(session, t, _sms(phone, "My neighbour is shouting"))
    await actions.act(session, t.city_seat, first.incident.id, "close", disposition="false_alarm")
    again = await _receive(session, t, _sms(phone, "Now he is hitting the door"))
    assert again.outcome == "alarm" and again.incident.id != first.incident.id
    assert again.alarm.description == "Now he is hitting the door"


async def test_a_text_too_long_for_a_message_keeps_its_beginning_and_says_how_much_was_cut(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    phone = _phone()
    first = await _receive(session, t, _sms(phone, "a" * (messaging_service.MAX_TEXT + 10)))
    assert first.outcome == "alarm" and len(first.alarm.description) <= messaging_service.MAX_TEXT
    cut = messaging_service.MAX_TEXT + 10 - (messaging_service.MAX_TEXT - 64)
    assert first.alarm.description.endswith(f"截去 {cut} 字 · {cut} characters cut）")
    reply = await _receive(session, t, _sms(phone, "b" * 39_000))
    said = await session.get(Message, reply.message_id)
    assert said is not None and said.text.startswith("bbb") and len(said.text) <= messaging_service.MAX_TEXT
    exact = await _receive(session, t, _sms(phone, "c" * messaging_service.MAX_TEXT))
    kept = await session.get(Message, exact.message_id)
    assert kept is not None and kept.text == "c" * messaging_service.MAX_TEXT  # a text that fits is whole


async def test_a_blank_sms_raises_a_silent_alarm_and_a_blank_reply_reaches_the_seat(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    phone = _phone()
    first = await _receive(session, t, _sms(phone, "   "))
    assert first.outcome == "alarm" and first.incident.silent is True
    assert first.alarm.description == inbound.BLANK
    again = await _receive(session, t, _sms(phone, ""))
    assert again.outcome == "message" and again.incident.id == first.incident.id
    said = await session.get(Message, again.message_id)
    assert said is not None and said.text == inbound.BLANK and said.sender == "reporter"


async def _seat_says(
    session: AsyncSession, t: Tree, made: inbound.Received | intake_service.Submitted, text: str
) -> Message:
    return await messaging_service.post(
        session,
        incident=made.incident,
        alarm_id=made.alarm.id,
        sender="seat",
        actor=t.city_seat.actor,
        text=text,
        media_ids=[],
        seat_username=t.city_seat.username,
    )


async def _reply(
    session: AsyncSession,
    t: Tree,
    made: inbound.Received | intake_service.Submitted,
    message: Message,
    *,
    cut: bool = False,
) -> SmsDelivery | None:
    return await sms_service.queue_chat_reply(
        session, made.incident, message, actor=t.city_seat.actor, sender=t.city_seat.username, cut=cut
    )


async def test_a_seat_message_on_an_sms_alarm_is_queued_as_an_sms_with_the_case_number(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    phone = _phone()
    made = await _receive(session, t, _sms(phone, "Someone follows me"))
    message = await _seat_says(session, t, made, "Where are you now?")
    delivery = await _reply(session, t, made, message)
    assert delivery is not None
    assert (delivery.to, delivery.to_source, delivery.status, delivery.seat_username) == (
        f"+86{phone}",
        "reporter",
        "pending",
        t.city_seat.username,
    )
    assert delivery.text == f"[{made.incident.case_number}] Where are you now?"
    assert await _types(session, made.incident.id) == [
        "alarm_received",
        "phone_verified",
        "sms_queued",
        "message",
        "sms_queued",
    ]


async def test_a_seat_message_on_a_web_alarm_or_a_phoneless_sms_alarm_queues_no_sms(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    web = await factories.alarm(session, t.city, Tree.A_POINT, reporter={"phone": _phone()})
    phoneless = await _receive(session, t, _sms("unknown", "Help"))
    for made in (web, phoneless):
        message = await _seat_says(session, t, made, "We are on the way")
        assert await _reply(session, t, made, message) is None
        assert (
            await session.scalar(select(SmsDelivery).where(SmsDelivery.incident_id == made.incident.id))
            is None
        )


async def test_a_seat_message_too_long_for_an_sms_on_an_sms_alarm_is_refused_naming_the_text(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    made = await _receive(session, t, _sms(_phone(), "Help"))
    prefix = len(f"[{made.incident.case_number}] ")
    fits = await _seat_says(session, t, made, "x" * (sms_service.MAX_TEXT - prefix))
    assert await _reply(session, t, made, fits) is not None
    too_long = await _seat_says(session, t, made, "x" * (sms_service.MAX_TEXT - prefix + 1))
    with pytest.raises(Invalid) as refused:
        await _reply(session, t, made, too_long)
    assert refused.value.field == "text"


async def test_a_relayed_message_too_long_for_an_sms_is_cut_to_fit_and_says_so(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await _receive(session, t, _sms(_phone(), "Help"))
    prefix = f"[{made.incident.case_number}] "
    long = await _seat_says(session, t, made, "y" * sms_service.MAX_TEXT)
    delivery = await _reply(session, t, made, long, cut=True)
    assert delivery is not None
    assert len(delivery.text) == sms_service.MAX_TEXT
    assert delivery.text == prefix + "y" * (sms_service.MAX_TEXT - len(prefix) - 1) + "…"


async def _status_texts(
    session: AsyncSession, made: inbound.Received | intake_service.Submitted
) -> list[str]:
    deliveries = await session.scalars(
        select(SmsDelivery).where(SmsDelivery.incident_id == made.incident.id).order_by(SmsDelivery.id)
    )
    return [
        d.text
        for d in deliveries
        if d.text in {t.format(case=made.incident.case_number) for t in sms_service.STATUS_TEXTS.values()}
    ]


async def test_an_sms_reporter_is_told_of_the_dispatch_and_the_closing_once_each(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    made = await _receive(session, t, _sms(_phone(), "Fire in the stairwell"))
    seat, actor = t.city_seat, t.city_seat.actor
    await actions.act(session, seat, made.incident.id, "accept")
    assert (
        await sms_service.queue_status(session, made.incident, actor=actor) is None
    )  # accepted: nothing to tell
    await actions.act(session, seat, made.incident.id, "dispatch", note="fire brigade")
    assert await sms_service.queue_status(session, made.incident, actor=actor) is not None
    assert await sms_service.queue_status(session, made.incident, actor=actor) is None  # told already
    await actions.act(session, seat, made.incident.id, "resolve", outcome="put out")
    await actions.act(session, seat, made.incident.id, "close", disposition="handled")
    assert await sms_service.queue_status(session, made.incident, actor=actor) is not None
    case = made.incident.case_number
    assert await _status_texts(session, made) == [
        sms_service.STATUS_TEXTS["dispatched"].format(case=case),
        sms_service.STATUS_TEXTS["closed"].format(case=case),
    ]
    queued = [e for e in await timeline_service.entries(session, made.incident.id) if e.type == "sms_queued"]
    assert [e.data.get("status") for e in queued] == [None, "dispatched", "closed"]  # the receipt first


async def test_no_status_sms_for_a_web_alarm_a_phoneless_sender_or_a_case_merged_away(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    web = await factories.alarm(session, t.city, Tree.A_POINT, reporter={"phone": _phone()})
    phoneless = await _receive(session, t, _sms("unknown", "Help"))
    for made in (web, phoneless):
        await actions.act(session, t.city_seat, made.incident.id, "close", disposition="false_alarm")
        assert await sms_service.queue_status(session, made.incident, actor=t.city_seat.actor) is None
    joined = await factories.alarm(session, t.city, Tree.A_POINT)
    merged = await _receive(session, t, _sms(_phone(), "Same fight as before"))
    await actions.act(session, t.city_seat, merged.incident.id, "merge", into=joined.incident.id)
    assert merged.incident.status == "closed" and merged.incident.disposition == "duplicate"
    assert await sms_service.queue_status(session, merged.incident, actor=t.city_seat.actor) is None
    # Its SMS alarm went on with the case it joined, which tells the texter when it closes.
    await actions.act(session, t.city_seat, joined.incident.id, "close", disposition="false_alarm")
    assert await sms_service.queue_status(session, joined.incident, actor=t.city_seat.actor) is not None
