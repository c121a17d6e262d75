"""The end of a forwarded case on the 110 link: the network seats finishing or closing their
case is told to the 110 side, whose seats then know the reporter is out of the chat's reach;
and a 110 seat's message that arrives after that stays on the network case's record. And the
Internet side's view of the link: when the 110 side last called, since when forwards wait."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.boundary import contacts, forwarded_case, inside, outside
from netalarm.boundary.document import Progress
from netalarm.boundary.models import LinkForward
from netalarm.core.errors import Conflict
from netalarm.incidents import actions
from netalarm.incidents.models import Incident
from netalarm.messaging import service as messaging_service
from netalarm.timeline import service as timeline_service
from tests.support import factories
from tests.support.factories import Tree


async def _forwarded(session: AsyncSession) -> tuple[Tree, Tree, Incident, LinkForward, Incident]:
    """A network case forwarded to 110 and the case it became inside."""
    t, intranet = await factories.tree(session), await factories.tree(session)
    _, incident, row, inside_id = await factories.forwarded_to_110(session, t, intranet, category="violence")
    here = await session.get(Incident, inside_id)
    assert here is not None
    return t, intranet, incident, row, here


async def _news_taken(session: AsyncSession, row: LinkForward) -> list[Progress]:
    news = (await outside.news(session, {row.id: 0}, target="110")).get(row.id, [])
    for _ in range(2):  # a repeat records nothing more
        await inside.take_news(session, row.id, news, source="network", actor="system:110-link")
    return news


async def test_the_network_seats_closing_their_case_is_told_to_the_110_case_once_which_stays_open(
    session: AsyncSession,
) -> None:
    t, intranet, incident, row, here = await _forwarded(session)
    await actions.act(session, intranet.a_seat, here.id, "accept")
    await actions.act(session, t.a_seat, incident.id, "resolve", outcome="reporter is safe at home")
    await actions.act(session, t.a_seat, incident.id, "close", disposition="handled")

    news = await _news_taken(session, row)
    assert [(n.type, n.data) for n in news] == [
        ("resolved", {"outcome": "reporter is safe at home"}),
        ("closed", {"disposition": "handled"}),
    ]
    told = [e for e in await timeline_service.entries(session, here.id) if e.type == "closed_at_source"]
    assert [(e.actor, e.data["stage"], e.data["seat"]) for e in told] == [
        ("system:110-link", "resolved", t.a_seat.username),
        ("system:110-link", "closed", t.a_seat.username),
    ]
    closed = await forwarded_case.closed_at_source(session, here.id)
    assert closed is not None
    assert (closed["stage"], closed["disposition"], closed["source_case_number"]) == (
        "closed",
        "handled",
        incident.case_number,
    )
    await session.refresh(here)
    assert here.status == "accepted"  # the 110 seat closes its own case
    assert "closed_at_source" not in [u.type for u in (await inside.unsent(session)).get(row.id, [])]
    assert (await timeline_service.verify(session, here.id)).ok


async def test_a_110_seats_message_is_refused_once_the_network_case_is_closed_but_not_when_only_resolved(
    session: AsyncSession,
) -> None:
    t, _, incident, row, here = await _forwarded(session)
    await actions.act(session, t.a_seat, incident.id, "resolve", outcome="unit on site")
    await _news_taken(session, row)
    conversation = await messaging_service.default_alarm(session, here)
    await forwarded_case.check_reachable(
        session, here, conversation
    )  # resolved: the reporter still reads the chat

    await actions.act(session, t.a_seat, incident.id, "close", disposition="handled")
    await _news_taken(session, row)
    with pytest.raises(Conflict) as refused:
        await forwarded_case.check_reachable(session, here, conversation)
    assert refused.value.code == "source_closed"
    assert incident.case_number in str(refused.value)


async def test_the_resolution_that_came_from_110_is_not_told_back_as_news(session: AsyncSession) -> None:
    _, intranet, incident, row, here = await _forwarded(session)
    await actions.act(session, intranet.a_seat, here.id, "accept")
    await actions.act(session, intranet.a_seat, here.id, "dispatch", note="car 3")
    await actions.act(session, intranet.a_seat, here.id, "resolve", outcome="held")
    await outside.take_progress(session, row.id, (await inside.unsent(session))[row.id])
    assert incident.status == "resolved"  # followed from 110's resolution, by the link
    assert (await outside.news(session, {row.id: 0}, target="110")).get(row.id) is None


async def test_a_110_message_that_arrives_after_the_network_case_closed_is_kept_on_its_record(
    session: AsyncSession,
) -> None:
    t, intranet, incident, row, here = await _forwarded(session)
    alarm = await forwarded_case.relay_alarm(session, row.id)
    # Written inside while the link was down; meanwhile the network seat closed the case.
    await messaging_service.post(
        session,
        incident=here,
        alarm_id=alarm.id,
        sender="seat",
        actor=intranet.a_seat.actor,
        text="Get out of the building now",
        media_ids=[],
        seat_username=intranet.a_seat.username,
    )
    await actions.act(session, t.a_seat, incident.id, "resolve", outcome="safe")
    await actions.act(session, t.a_seat, incident.id, "close", disposition="handled")
    before = len(await messaging_service.for_incident(session, incident.id))

    updates = (await inside.unsent(session))[row.id]
    applied = await outside.take_progress(session, row.id, updates)
    assert applied == updates[-1].seq
    assert len(await messaging_service.for_incident(session, incident.id)) == before
    [kept] = [
        e
        for e in await timeline_service.entries(session, incident.id)
        if e.type == "link_110" and e.data["stage"] == "message_undelivered"
    ]
    assert (kept.data["text"], kept.data["seat"], kept.data["remote_case_number"]) == (
        "Get out of the building now",
        f"110:{intranet.a_seat.username}",
        here.case_number,
    )
    assert (await timeline_service.verify(session, incident.id)).ok


async def test_the_internet_side_knows_when_the_110_side_last_called_and_since_when_forwards_wait(
    session: AsyncSession,
) -> None:
    _, _, _, row, _ = await _forwarded(session)  # received inside, not yet confirmed here: it waits
    waiting = await contacts.state(session, "110", down_after_s=30)
    assert waiting["waiting"] >= 1 and waiting["oldest_waiting_since"] is not None
    assert waiting["oldest_waiting_since"] <= row.created_at.isoformat().replace("+00:00", "Z")

    await contacts.called(session, "110")
    heard = await contacts.state(session, "110", down_after_s=30)
    assert heard["last_contact_at"] is not None and 0 <= heard["silent_for_s"] < 2
    assert (heard["down"], heard["down_after_s"]) == (False, 30)
    await contacts.called(session, "110")  # again at once: not written again
    assert (await contacts.state(session, "110", down_after_s=30))["last_contact_at"] == heard[
        "last_contact_at"
    ]
