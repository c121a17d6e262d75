"""Two things an SMS reporter may text late in a case, on SQLite and PostgreSQL: that quiet may
end (texts to their phone start again, strictly worded), and a cancellation arriving after a
seat closed the case (kept on that case's record and answered, instead of raising an alarm
for the word "cancel")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.channels.sms import inbound, keywords
from netalarm.channels.sms import service as sms_service
from netalarm.incidents import actions
from netalarm.incidents.models import Alarm, Incident
from tests.channels.test_sms_inbound import _phone, _receive, _sms, _types
from tests.channels.test_sms_keywords import _texts
from tests.support import factories


@pytest.mark.parametrize(
    ("text", "lifts"),
    [
        ("取消静音", True),
        (" 解除静音。", True),
        ("quiet off", True),
        ("QUIET OFF!", True),
        ("End quiet", True),
        ("ＱＵＩＥＴ　ＯＦＦ", True),
        ("quiet off?", False),
        ("取消静音吗？", False),
        ("取消静音 他还在门外", False),
        ("静音", False),
        ("quiet", False),
        ("don't end quiet", False),
        ("", False),
    ],
)
def test_only_a_whole_quiet_off_text_ends_quiet(text: str, lifts: bool) -> None:
    assert keywords.lifts_quiet(text) is lifts


def test_quiet_off_is_not_read_as_asking_for_quiet() -> None:
    assert [keywords.asks_quiet(t) for t in ("QUIET OFF", "quiet off", "quiet, off the phone")] == [
        False,
        False,
        True,
    ]


async def test_quiet_off_makes_the_case_textable_again_answers_and_status_texts_resume(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    phone = _phone()
    made = await _receive(session, t, _sms(phone, "静音 有人在撬门"))
    assert made.incident.silent is True
    got = await _receive(session, t, _sms(phone, "取消静音"))
    assert (got.outcome, got.keyword, got.incident.id) == ("message", "quiet_off", made.incident.id)
    alarm = await session.get(Alarm, made.alarm.id)
    incident = await session.get(Incident, made.incident.id)
    assert alarm is not None and incident is not None
    assert (alarm.silent, incident.silent, incident.priority) == (False, False, "P1")  # priority kept
    assert (await _types(session, made.incident.id))[-3:] == ["message", "quiet_lifted", "sms_queued"]
    case = made.incident.case_number
    assert (await _texts(session, made.incident.id))[-1] == sms_service.ANSWERS["quiet_off"].format(case=case)
    await actions.act(session, t.city_seat, made.incident.id, "accept")
    await actions.act(session, t.city_seat, made.incident.id, "dispatch", note="one car")
    told = await sms_service.queue_status(session, incident, actor=t.city_seat.actor)
    assert told is not None and told.text == sms_service.STATUS_TEXTS["dispatched"].format(case=case)


async def test_quiet_off_on_a_case_that_is_not_quiet_is_only_a_message(session: AsyncSession) -> None:
    t = await factories.tree(session)
    phone = _phone()
    made = await _receive(session, t, _sms(phone, "A car hit a cyclist"))
    got = await _receive(session, t, _sms(phone, "QUIET OFF"))
    assert (got.outcome, got.keyword) == ("message", "quiet_off")
    assert "quiet_lifted" not in await _types(session, made.incident.id)
    assert len(await _texts(session, made.incident.id)) == 1  # the receipt only


async def test_quiet_off_leaves_the_case_silent_while_another_of_its_alarms_is(session: AsyncSession) -> None:
    t = await factories.tree(session)
    phone = _phone()
    made = await _receive(session, t, _sms(phone, "QUIET he is downstairs"))
    app = await factories.alarm(session, t.city, silent=True)
    await actions.act(session, t.city_seat, app.incident.id, "merge", into=made.incident.id)
    await _receive(session, t, _sms(phone, "解除静音"))
    incident = await session.get(Incident, made.incident.id)
    alarm = await session.get(Alarm, made.alarm.id)
    assert alarm is not None and incident is not None
    assert (alarm.silent, incident.silent) == (False, True)


async def _alarm_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Alarm)) or 0)


async def test_a_cancellation_after_the_case_was_closed_is_kept_on_it_and_answered_not_raised(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    phone = _phone()
    made = await _receive(session, t, _sms(phone, "Someone is following me"))
    await actions.act(session, t.city_seat, made.incident.id, "close", disposition="false_alarm")
    alarms = await _alarm_count(session)
    late = _sms(phone, "我已安全，取消报警")
    got = await _receive(session, t, late)
    assert (got.outcome, got.keyword, got.created, got.incident.id) == (
        "closed",
        "cancel",
        True,
        made.incident.id,
    )
    assert await _alarm_count(session) == alarms
    assert (await _types(session, made.incident.id))[-2:] == ["sms_after_closing", "sms_queued"]
    case = made.incident.case_number
    answer = sms_service.ANSWERS["late_cancel"].format(case=case)
    assert (await _texts(session, made.incident.id))[-1] == answer
    assert "110" in answer and "已结案" in answer
    # The gateway delivering it again changes nothing and answers the same.
    again = await _receive(session, t, late)
    assert (again.created, again.public()) == (False, got.public())
    assert (await _types(session, made.incident.id)).count("sms_after_closing") == 1
    assert (await _texts(session, made.incident.id)).count(answer) == 1


async def test_a_cancellation_long_after_closing_or_any_other_text_raises_a_new_alarm(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    phone = _phone()
    made = await _receive(session, t, _sms(phone, "A fight outside the bar"))
    await actions.act(session, t.city_seat, made.incident.id, "close", disposition="false_alarm")
    other = await _receive(session, t, _sms(phone, "They are back, cancel nothing"))
    assert other.outcome == "alarm" and other.incident.id != made.incident.id
    await actions.act(session, t.city_seat, other.incident.id, "close", disposition="false_alarm")
    incident = await session.get(Incident, other.incident.id)
    assert incident is not None and incident.closed_at is not None
    incident.closed_at -= inbound.LATE_CANCEL_WINDOW + timedelta(minutes=1)
    await session.flush()
    late = await _receive(session, t, _sms(phone, "CANCEL ALARM"))
    assert late.outcome == "alarm" and late.incident.id not in (made.incident.id, other.incident.id)
