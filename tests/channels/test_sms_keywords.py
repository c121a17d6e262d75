"""What an SMS reporter can ask for by text, on SQLite and PostgreSQL: to cancel their alarm
(sent by mistake, or safe now) and to be left quiet; and that an ordinary message, such as
the answer “safe” to a seat's question, is never read as either."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.boundary import inside, outside
from netalarm.boundary.document import Forward
from netalarm.boundary.models import LinkForward
from netalarm.channels.sms import inbound, keywords
from netalarm.channels.sms import service as sms_service
from netalarm.channels.sms import worker as sms_worker
from netalarm.channels.sms.models import SmsDelivery
from netalarm.core.clock import utcnow
from netalarm.incidents import actions
from netalarm.incidents.models import Alarm, Incident
from netalarm.messaging import service as messaging_service
from netalarm.timeline import service as timeline_service
from tests.channels.test_sms_inbound import _phone, _receive, _sms, _types
from tests.support import factories


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("取消报警", "mistake"),
        (" 撤销报警。", "mistake"),
        ("cancel alarm", "mistake"),
        ("Cancel Alarm!", "mistake"),
        ("ＣＡＮＣＥＬ　ＡＬＡＲＭ", "mistake"),
        ("我已安全，取消报警", "safe"),
        ("安全 取消报警", "safe"),
        ("I'm safe - cancel alarm", "safe"),
        ("SAFE CANCEL ALARM", "safe"),
    ],
)
def test_a_text_that_is_only_the_cancel_phrase_cancels_for_its_reason(text: str, reason: str) -> None:
    assert keywords.withdrawal(text) == reason


@pytest.mark.parametrize(
    "text",
    [
        "安全",  # the answer to "are you safe to talk?"
        "safe",
        "SAFE NOW",
        "我已安全",
        "取消",
        "cancel",
        "不要取消报警",
        "don't cancel alarm",
        "I am not safe, cancel alarm",
        "cancel alarm?",
        "取消报警？",
        "Can you cancel alarm on my car",
        "他逼我发取消报警",
        "",
    ],
)
def test_an_ordinary_message_is_never_a_cancellation(text: str) -> None:
    assert keywords.withdrawal(text) is None


@pytest.mark.parametrize(
    ("text", "quiet"),
    [
        ("静音", True),
        ("静默 有人在门外", True),
        ("QUIET", True),
        ("quiet, he is in the next room", True),
        ("Silent alarm: man with a knife", True),
        ("ｑｕｉｅｔ", True),
        ("quieter now, he left", False),
        ("silently watching the door", False),
        ("Please be quiet", False),
        ("他让我静音", False),
        ("", False),
    ],
)
def test_a_text_asks_for_quiet_when_it_begins_with_a_quiet_word(text: str, quiet: bool) -> None:
    assert keywords.asks_quiet(text) is quiet


async def _texts(session: AsyncSession, incident_id: object) -> list[str]:
    deliveries = await session.scalars(
        select(SmsDelivery).where(SmsDelivery.incident_id == incident_id).order_by(SmsDelivery.id)
    )
    return [d.text for d in deliveries]


async def test_cancel_alarm_texted_on_an_open_sms_alarm_withdraws_it_keeps_the_words_and_confirms(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    phone = _phone()
    made = await _receive(session, t, _sms(phone, "Someone is at my door"))
    cancel = _sms(phone, "取消报警")
    got = await _receive(session, t, cancel)
    assert (got.outcome, got.keyword, got.incident.id) == ("message", "cancel", made.incident.id)
    alarm = await session.get(Alarm, made.alarm.id)
    assert alarm is not None and alarm.withdrawn_reason == "mistake" and alarm.withdrawn_at is not None
    # No status changes; the seat gets the words and the withdrawal; the reporter a confirmation.
    assert got.incident.status == "received"
    assert [m.text for m in await messaging_service.for_alarm(session, made.alarm.id)] == ["取消报警"]
    assert await _types(session, made.incident.id) == [
        "alarm_received",
        "phone_verified",
        "sms_queued",
        "message",
        "withdrawn",
        "sms_queued",
    ]
    case = made.incident.case_number
    confirmation = (await _texts(session, made.incident.id))[-1]
    assert confirmation == sms_service.WITHDRAWN_TEXTS["mistake"].format(case=case)
    assert "may still contact you" in confirmation and "警方可能仍会联系您" in confirmation
    # The gateway delivering the same text again changes nothing and answers the same.
    again = await _receive(session, t, cancel)
    assert (again.created, again.public()) == (False, got.public())
    assert len(await _texts(session, made.incident.id)) == 2


async def test_a_safe_cancellation_keeps_the_first_reason_and_confirms_each_time(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    phone = _phone()
    made = await _receive(session, t, _sms(phone, "A man follows me"))
    await _receive(session, t, _sms(phone, "I am safe, cancel alarm"))
    await _receive(session, t, _sms(phone, "CANCEL ALARM"))
    alarm = await session.get(Alarm, made.alarm.id)
    assert alarm is not None and alarm.withdrawn_reason == "safe"
    types = await _types(session, made.incident.id)
    assert types.count("withdrawn") == 1
    case = made.incident.case_number
    assert (await _texts(session, made.incident.id))[1:] == [
        sms_service.WITHDRAWN_TEXTS["safe"].format(case=case),
        sms_service.WITHDRAWN_TEXTS["safe"].format(case=case),
    ]


async def test_safe_as_an_answer_to_the_seat_is_a_message_and_cancels_nothing(session: AsyncSession) -> None:
    t = await factories.tree(session)
    phone = _phone()
    made = await _receive(session, t, _sms(phone, "Break-in next door"))
    for text in ("安全", "safe", "不要取消报警"):
        got = await _receive(session, t, _sms(phone, text))
        assert (got.outcome, got.keyword) == ("message", None)
    alarm = await session.get(Alarm, made.alarm.id)
    assert alarm is not None and alarm.withdrawn_at is None
    assert "withdrawn" not in await _types(session, made.incident.id)
    assert len(await _texts(session, made.incident.id)) == 1  # the receipt only


async def test_cancel_alarm_as_a_first_text_raises_an_alarm_rather_than_being_dropped(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    got = await _receive(session, t, _sms(_phone(), "CANCEL ALARM"))
    assert (got.outcome, got.keyword, got.alarm.withdrawn_at) == ("alarm", None, None)


async def test_a_quiet_first_text_raises_a_silent_p1_alarm_and_a_quiet_receipt(session: AsyncSession) -> None:
    t = await factories.tree(session)
    got = await _receive(session, t, _sms(_phone(), "静音 有人闯进我家，我躲在衣柜里"))
    assert (got.outcome, got.keyword) == ("alarm", "quiet")
    assert (got.alarm.silent, got.incident.silent, got.incident.priority) == (True, True, "P1")
    assert got.alarm.description == "静音 有人闯进我家，我躲在衣柜里"  # every word reaches the seat
    assert await _texts(session, got.incident.id) == [
        sms_service.QUIET_RECEIPT.format(case=got.incident.case_number)
    ]


async def test_a_silent_sms_case_is_not_texted_as_it_moves_on_and_the_timeline_says_so(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    made = await _receive(session, t, _sms(_phone(), "QUIET man with a knife downstairs"))
    seat, actor = t.city_seat, t.city_seat.actor
    await actions.act(session, seat, made.incident.id, "accept")
    await actions.act(session, seat, made.incident.id, "dispatch", note="two cars")
    assert await sms_service.queue_status(session, made.incident, actor=actor) is None
    assert await sms_service.queue_status(session, made.incident, actor=actor) is None  # withheld once
    await actions.act(session, seat, made.incident.id, "resolve", outcome="arrested")
    await actions.act(session, seat, made.incident.id, "close", disposition="handled")
    assert await sms_service.queue_status(session, made.incident, actor=actor) is None
    assert len(await _texts(session, made.incident.id)) == 1  # the receipt only
    entries = await timeline_service.entries(session, made.incident.id)
    withheld = [e for e in entries if e.type == "sms_withheld"]
    assert [(e.data["status"], e.data["reason"], e.actor) for e in withheld] == [
        ("dispatched", "silent", actor),
        ("closed", "silent", actor),
    ]
    assert "****" in withheld[0].data["to"]  # masked, as on every SMS entry


async def test_quiet_texted_during_a_case_makes_it_silent_and_p1_while_nobody_has_taken_it(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    phone = _phone()
    made = await _receive(session, t, _sms(phone, "My ex is outside shouting"))
    assert (made.incident.silent, made.incident.priority) == (False, "P3")  # category other
    got = await _receive(session, t, _sms(phone, "quiet - he came in"))
    assert (got.outcome, got.keyword) == ("message", "quiet")
    assert (got.incident.silent, got.incident.priority) == (True, "P1")
    entries = await timeline_service.entries(session, made.incident.id)
    # The receipt, still waiting for a worker here, is not sent either.
    assert [e.type for e in entries][-4:] == ["message", "quiet_requested", "classified", "sms_withheld"]
    assert entries[-2].data == {"from": {"priority": "P3"}, "to": {"priority": "P1"}}
    # Asked again: nothing more happens.
    await _receive(session, t, _sms(phone, "静音"))
    assert (await _types(session, made.incident.id)).count("quiet_requested") == 1
    # Police dispatched: the reporter is not texted.
    await actions.act(session, t.city_seat, made.incident.id, "accept")
    await actions.act(session, t.city_seat, made.incident.id, "dispatch", note="unit 5")
    assert await sms_service.queue_status(session, made.incident, actor=t.city_seat.actor) is None


async def test_quiet_on_a_case_a_seat_has_taken_keeps_the_seats_priority(session: AsyncSession) -> None:
    t = await factories.tree(session)
    phone = _phone()
    made = await _receive(session, t, _sms(phone, "Noise from the flat above"))
    await actions.act(session, t.city_seat, made.incident.id, "accept", priority="P4")
    got = await _receive(session, t, _sms(phone, "SILENT he heard me"))
    assert (got.incident.silent, got.incident.priority) == (True, "P4")
    assert "quiet_requested" in await _types(session, made.incident.id)


async def test_a_gateway_repeat_of_a_first_quiet_text_answers_as_the_first_time(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    first = _sms(_phone(), "静音")
    made, again = await _receive(session, t, first), await _receive(session, t, first)
    assert (again.created, again.public()) == (False, made.public())
    assert made.public()["keyword"] == "quiet"


def test_inbound_keyword_answer_is_cancel_only_for_a_reply() -> None:
    assert inbound.keyword_in("cancel alarm", "message") == "cancel"
    assert inbound.keyword_in("cancel alarm", "alarm") is None
    assert inbound.keyword_in("quiet please", "alarm") == "quiet"


async def test_quiet_texted_after_a_forward_to_110_makes_the_110_case_silent_and_p1_once(
    session: AsyncSession,
) -> None:
    t, intranet = await factories.tree(session), await factories.tree(session)
    phone = _phone()
    made = await _receive(session, t, _sms(phone, "Fight in the flat upstairs"))
    incident = await actions.act(session, t.city_seat, made.incident.id, "accept")
    await actions.act(session, t.city_seat, incident.id, "forward-110", note="fight", link_110=True)
    row = await session.scalar(select(LinkForward).where(LinkForward.incident_id == incident.id))
    assert row is not None
    received = await inside.receive(
        session, Forward.model_validate(row.document), root=intranet.city, timezone="Asia/Shanghai"
    )
    here = await session.get(Incident, received.incident_id)
    assert here is not None and (here.silent, here.priority) == (False, "P3")
    await _receive(session, t, _sms(phone, "静音 他回来了"))

    news = (await outside.news(session, {row.id: 0}, target="110"))[row.id]
    assert [n.type for n in news] == ["message", "quiet_requested"]
    for _ in range(2):
        await inside.take_news(session, row.id, news, source="network", actor="system:110-link")
    await session.refresh(here)
    assert (here.silent, here.priority) == (True, "P1")
    told = [e for e in await timeline_service.entries(session, here.id) if e.type == "quiet_requested"]
    assert [e.actor for e in told] == ["system:110-link"]
    back = (await inside.unsent(session)).get(row.id, [])
    assert not {"quiet_requested", "classified"} & {u.type for u in back}


async def test_quiet_withholds_what_still_waits_to_be_texted_but_not_what_is_sent_or_sending(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    phone = _phone()
    made = await _receive(session, t, _sms(phone, "He locked me in"))
    [receipt] = await session.scalars(select(SmsDelivery).where(SmsDelivery.incident_id == made.incident.id))
    receipt.status = "sent"  # the worker sent it
    waiting = await sms_service.queue(session, t.city_seat, made.incident.id, text="Police are on the way")
    sending = await sms_service.queue(session, t.city_seat, made.incident.id, text="Can you open a window?")
    assert await sms_worker.claim(session, sending.id, utcnow()) is not None  # a worker has it now
    await _receive(session, t, _sms(phone, "QUIET"))
    for delivery in (receipt, waiting, sending):
        await session.refresh(delivery)
    assert [(d.status, d.last_error) for d in (receipt, waiting, sending)] == [
        ("sent", None),
        ("failed", sms_service.WITHHELD),
        ("sending", None),
    ]
    assert [sms_service.public(d)["withheld"] for d in (receipt, waiting, sending)] == [False, True, False]
    entries = await timeline_service.entries(session, made.incident.id)
    withheld = [e.data for e in entries if e.type == "sms_withheld"]
    assert [(d["delivery_id"], d["text"], d["reason"]) for d in withheld] == [
        (str(waiting.id), "Police are on the way", "silent")
    ]
    # Asked again, with a new SMS waiting: it is the seat's to send, the case is already quiet.
    later = await sms_service.queue(session, t.city_seat, made.incident.id, text="Stay hidden")
    await _receive(session, t, _sms(phone, "静音"))
    await session.refresh(later)
    assert later.status == "pending"
