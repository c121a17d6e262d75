"""Two forwarded cases that a 110 seat merges into one: the merged case's reporter is still
heard on the case it went into, and its network case's end does not silence the other."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.boundary import forwarded_case, inside, outside
from netalarm.boundary.document import Forward
from netalarm.boundary.models import LinkForward
from netalarm.core.errors import Conflict
from netalarm.incidents import actions
from netalarm.incidents.models import Incident
from netalarm.intake.service import Submitted
from netalarm.messaging import service as messaging_service
from netalarm.timeline import service as timeline_service
from tests.support import factories
from tests.support.factories import Tree


async def _forwarded(
    session: AsyncSession, t: Tree, intranet: Tree
) -> tuple[Submitted, LinkForward, Incident]:
    made = await factories.alarm(session, t.city, Tree.A_POINT, category="violence")
    await actions.act(session, t.a_seat, made.incident.id, "accept")
    await actions.act(session, t.a_seat, made.incident.id, "forward-110", note="fight", link_110=True)
    row = await session.scalar(select(LinkForward).where(LinkForward.incident_id == made.incident.id))
    assert row is not None
    received = await inside.receive(
        session, Forward.model_validate(row.document), root=intranet.city, timezone="Asia/Shanghai"
    )
    here = await session.get(Incident, received.incident_id)
    assert here is not None
    return made, row, here


async def _merged(
    session: AsyncSession,
) -> tuple[Tree, Tree, tuple[Submitted, LinkForward, Incident], tuple[Submitted, LinkForward, Incident]]:
    """Two cases forwarded from `t` and taken by `intranet`, where a seat merged the second into
    the first: the trees, and each case's alarm, forward and 110 case."""
    t, intranet = await factories.tree(session), await factories.tree(session)
    first, second = await _forwarded(session, t, intranet), await _forwarded(session, t, intranet)
    await actions.act(session, intranet.city_seat, second[2].id, "merge", into=first[2].id)
    return t, intranet, first, second


async def test_a_reporter_of_a_case_merged_inside_is_still_heard_on_the_case_it_went_into(
    session: AsyncSession,
) -> None:
    t, _, (first, first_row, first_here), (second, second_row, _) = await _merged(session)
    assert second_row.id in await inside.following(session, "network")

    await messaging_service.post(
        session,
        incident=second.incident,
        alarm_id=second.alarm.id,
        sender="reporter",
        actor=f"reporter:{second.alarm.reporter_id}",
        text="I am hurt, bleeding from the arm",
        media_ids=[],
    )
    news = (await outside.news(session, {second_row.id: 0}, target="110", version=2))[second_row.id]
    await inside.take_news(session, second_row.id, news, source="network", actor="system:110-link")
    heard = [
        m for m in await messaging_service.for_incident(session, first_here.id) if m.sender == "reporter"
    ]
    assert [(m.text, m.alarm_id) for m in heard] == [
        ("I am hurt, bleeding from the arm", (await forwarded_case.relay_alarm(session, second_row.id)).id)
    ]

    # The merged case's network case closing does not make the other reporter unreachable.
    await actions.act(session, t.a_seat, second.incident.id, "resolve", outcome="taken to hospital")
    await actions.act(session, t.a_seat, second.incident.id, "close", disposition="handled")
    news = (await outside.news(session, {second_row.id: news[-1].seq}, target="110", version=2))[
        second_row.id
    ]
    await inside.take_news(session, second_row.id, news, source="network", actor="system:110-link")
    assert await forwarded_case.closed_at_source(session, first_here.id) is None
    await forwarded_case.check_reachable(
        session, first_here, (await forwarded_case.relay_alarm(session, first_row.id)).id
    )
    assert first.incident.status == "dispatched" and first_row.id in await inside.following(
        session, "network"
    )


async def test_a_110_seats_reply_in_the_conversation_of_a_case_merged_inside_reaches_that_reporter_only(
    session: AsyncSession,
) -> None:
    _, intranet, (first, first_row, first_here), (second, second_row, second_here) = await _merged(session)
    seat = intranet.city_seat
    said: dict[uuid.UUID, uuid.UUID] = {}
    for row, text in ((second_row, "Stay on the roof, a boat is coming"), (first_row, "Police are outside")):
        conversation = (await forwarded_case.relay_alarm(session, row.id)).id
        await forwarded_case.check_reachable(session, first_here, conversation)
        message = await messaging_service.post(
            session,
            incident=first_here,
            alarm_id=conversation,
            sender="seat",
            actor=seat.actor,
            text=text,
            media_ids=[],
            seat_username=seat.username,
        )
        await forwarded_case.reply_follows(session, first_here, message, actor=seat.actor)
        said[row.id] = message.id
    assert await forwarded_case.waiting_to_cross(session, first_here.id) == set(said.values())

    unsent = await inside.unsent(session)
    for row in (first_row, second_row):
        messages = [u for u in unsent[row.id] if u.type == "message"]
        assert [uuid.UUID(u.data["id"]) for u in messages] == [said[row.id]]  # each to its own reporter
        await inside.confirm(session, row.id, await outside.take_progress(session, row.id, unsent[row.id]))
    heard = {
        made.alarm.id: [
            m.text for m in await messaging_service.for_alarm(session, made.alarm.id) if m.sender == "seat"
        ]
        for made in (first, second)
    }
    assert heard == {
        first.alarm.id: ["Police are outside"],
        second.alarm.id: ["Stay on the roof, a boat is coming"],
    }
    assert await forwarded_case.waiting_to_cross(session, first_here.id) == set()
    # The merged case's own record keeps what was said to its reporter (its replay shows it).
    told = [e for e in await timeline_service.entries(session, second_here.id) if e.type == "message"]
    assert [e.data["message"]["text"] for e in told] == ["Stay on the roof, a boat is coming"]
    assert (await timeline_service.verify(session, second_here.id)).ok


async def test_once_the_merged_cases_network_case_is_closed_only_its_reporter_is_out_of_reach(
    session: AsyncSession,
) -> None:
    t, _, (_, first_row, first_here), (second, second_row, _) = await _merged(session)
    await actions.act(session, t.a_seat, second.incident.id, "resolve", outcome="rescued")
    await actions.act(session, t.a_seat, second.incident.id, "close", disposition="handled")
    news = (await outside.news(session, {second_row.id: 0}, target="110", version=3))[second_row.id]
    await inside.take_news(session, second_row.id, news, source="network", actor="system:110-link")

    with pytest.raises(Conflict) as refused:
        await forwarded_case.check_reachable(
            session, first_here, (await forwarded_case.relay_alarm(session, second_row.id)).id
        )
    assert refused.value.code == "source_closed" and second.incident.case_number in str(refused.value)
    await forwarded_case.check_reachable(
        session, first_here, (await forwarded_case.relay_alarm(session, first_row.id)).id
    )
