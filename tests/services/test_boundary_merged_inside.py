"""Two forwarded cases that a 110 seat merges into one: the merged case's reporter is still
heard on the case it went into, and its network case's end does not silence the other."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.boundary import forwarded_case, inside, outside
from netalarm.boundary.document import Forward
from netalarm.boundary.models import LinkForward
from netalarm.incidents import actions
from netalarm.incidents.models import Incident
from netalarm.intake.service import Submitted
from netalarm.messaging import service as messaging_service
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


async def test_a_reporter_of_a_case_merged_inside_is_still_heard_on_the_case_it_went_into(
    session: AsyncSession,
) -> None:
    t, intranet = await factories.tree(session), await factories.tree(session)
    first, first_row, first_here = await _forwarded(session, t, intranet)
    second, second_row, second_here = await _forwarded(session, t, intranet)
    await actions.act(session, intranet.city_seat, second_here.id, "merge", into=first_here.id)
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
    await forwarded_case.check_reachable(session, first_here)
    assert first.incident.status == "dispatched" and first_row.id in await inside.following(
        session, "network"
    )
