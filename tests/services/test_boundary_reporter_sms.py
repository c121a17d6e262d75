"""What the network side learns from its reporters after a forward reaches the 110 case through
the news of version 2, once: a text the reporter's phone sends to the alarm number (an alarm of
its own outside), and another report a network seat merges into the forwarded case."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.boundary import inside, outside
from netalarm.boundary.models import LinkForward
from netalarm.channels.sms import inbound
from netalarm.incidents import actions
from netalarm.incidents.models import Incident
from netalarm.messaging import service as messaging_service
from netalarm.timeline import service as timeline_service
from tests.support import factories
from tests.support.factories import Tree

PHONE = "13800138000"


async def _forwarded(
    session: AsyncSession, t: Tree, intranet: Tree, **fields: Any
) -> tuple[Incident, LinkForward, uuid.UUID]:
    """A case of `t` accepted and forwarded to 110, its forward, and the case it became on
    `intranet`."""
    _, incident, row, inside_id = await factories.forwarded_to_110(session, t, intranet, **fields)
    return incident, row, inside_id


async def _texted(session: AsyncSession, t: Tree, sender: str, text: str) -> inbound.Received:
    sms = inbound.Inbound(message_id=f"gw-{secrets.token_hex(6)}", sender=sender, text=text)
    return await inbound.receive(session, sms, root=t.city, timezone="Asia/Shanghai")


async def _of_type(session: AsyncSession, incident_id: uuid.UUID, type: str) -> list[dict[str, Any]]:
    return [e.data for e in await timeline_service.entries(session, incident_id) if e.type == type]


async def test_a_text_from_the_reporters_phone_after_the_forward_reaches_the_110_case_once(
    session: AsyncSession,
) -> None:
    t, intranet = await factories.tree(session), await factories.tree(session)
    incident, row, here = await _forwarded(session, t, intranet, reporter={"name": "Wang", "phone": PHONE})
    texted = await _texted(session, t, PHONE, "He is coming up the stairs")
    assert (texted.outcome, texted.created) == ("alarm", True)  # an alarm of its own, as before

    told = await _of_type(session, incident.id, "reporter_sms")
    assert told == [
        {
            "text": "He is coming up the stairs",
            "alarm_id": str(texted.alarm.id),
            "case_number": texted.incident.case_number,
        }
    ]
    assert (await outside.news(session, {row.id: 0}, target="110")).get(row.id) is None  # version 1 readers
    news = (await outside.news(session, {row.id: 0}, target="110", version=2))[row.id]
    assert [n.type for n in news] == ["reporter_sms"]
    for _ in range(2):
        await inside.take_news(session, row.id, news, source="network", actor="system:110-link")
    assert await _of_type(session, here, "reporter_sms_at_source") == [
        {
            "text": "He is coming up the stairs",
            "sms_case_number": texted.incident.case_number,
            "source_case_number": incident.case_number,
        }
    ]
    assert (await timeline_service.verify(session, incident.id)).ok


async def test_a_text_tells_no_case_but_an_open_forwarded_one_of_that_phone(session: AsyncSession) -> None:
    t, intranet = await factories.tree(session), await factories.tree(session)
    other_phone, *_ = await _forwarded(session, t, intranet, reporter={"phone": "13900139000"})
    anonymous, *_ = await _forwarded(session, t, intranet)
    closed, *_ = await _forwarded(session, t, intranet, reporter={"phone": PHONE})
    await actions.act(session, t.a_seat, closed.id, "resolve", outcome="done")
    await actions.act(session, t.a_seat, closed.id, "close", disposition="handled")
    kept_here = await actions.act(
        session,
        t.a_seat,
        (await factories.alarm(session, t.city, Tree.A_POINT, reporter={"phone": PHONE})).incident.id,
        "accept",
    )
    await _texted(session, t, PHONE, "Help")
    await _texted(session, t, "10086", "Not a phone number of anyone's case")
    for incident in (other_phone, anonymous, closed, kept_here):
        assert await _of_type(session, incident.id, "reporter_sms") == []


async def test_a_text_into_an_sms_case_that_was_forwarded_goes_over_as_its_message_and_is_not_told_twice(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    first = await _texted(session, t, PHONE, "Burglar in the flat")
    incident = await actions.act(session, t.city_seat, first.incident.id, "accept")  # no position: the city's
    await actions.act(session, t.city_seat, incident.id, "forward-110", note="sms alarm", link_110=True)
    row = await session.scalar(select(LinkForward).where(LinkForward.incident_id == incident.id))
    assert row is not None
    again = await _texted(session, t, PHONE, "He took the TV")
    assert (again.outcome, again.incident.id) == ("message", incident.id)
    news = (await outside.news(session, {row.id: 0}, target="110", version=2))[row.id]
    assert [(n.type, n.data["text"]) for n in news] == [("message", "He took the TV")]
    assert await _of_type(session, incident.id, "reporter_sms") == []


async def test_a_case_merged_into_the_forwarded_one_reaches_the_110_case_with_what_its_reporter_wrote(
    session: AsyncSession,
) -> None:
    t, intranet = await factories.tree(session), await factories.tree(session)
    incident, row, here = await _forwarded(session, t, intranet, description="Fight outside the bar")
    second = await factories.alarm(session, t.city, Tree.A_POINT, description="One of them now has a gun")
    await actions.act(session, t.a_seat, second.incident.id, "merge", into=incident.id)
    await messaging_service.post(
        session,
        incident=incident,
        alarm_id=second.alarm.id,
        sender="reporter",
        actor=f"reporter:{second.alarm.reporter_id}",
        text="He is walking north",
        media_ids=[],
    )

    older = (await outside.news(session, {row.id: 0}, target="110"))[row.id]  # a version 1 reader
    assert [n.type for n in older] == ["message"]
    news = (await outside.news(session, {row.id: 0}, target="110", version=2))[row.id]
    assert [(n.type, n.data.get("text")) for n in news] == [
        ("merged_in", "One of them now has a gun"),
        ("message", "He is walking north"),
    ]
    for _ in range(2):
        await inside.take_news(session, row.id, news, source="network", actor="system:110-link")
    assert await _of_type(session, here, "merged_at_source") == [
        {
            "from_case_number": second.incident.case_number,
            "seat": t.a_seat.username,
            "text": "One of them now has a gun",
            "source_case_number": incident.case_number,
        }
    ]
