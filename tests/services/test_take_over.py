"""Taking over a case another seat holds (its console gone, its shift over), and the queue
saying whether the holding seat's console is there. Both back ends."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts import service as accounts_service
from netalarm.accounts.models import SeatToken
from netalarm.accounts.service import PRESENCE_S
from netalarm.core.clock import utcnow
from netalarm.core.errors import Conflict, NotFound
from netalarm.incidents import actions
from netalarm.incidents import views as incident_views
from netalarm.timeline.models import TimelineEntry
from tests.support import factories
from tests.support.factories import Tree


async def test_a_seat_takes_over_a_dispatched_case_and_nothing_else_changes(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT)
    await actions.act(session, t.a_seat, made.incident.id, "accept")
    before = await actions.act(session, t.a_seat, made.incident.id, "dispatch", note="car 5")
    accepted_at, dispatched_at = before.accepted_at, before.dispatched_at

    after = await actions.act(session, t.a_seat2, made.incident.id, "take-over")

    assert after.accepted_by == t.a_seat2.username
    assert after.status == "dispatched"
    assert (after.accepted_at, after.dispatched_at) == (accepted_at, dispatched_at)
    entry = await session.scalar(
        select(TimelineEntry).where(
            TimelineEntry.incident_id == made.incident.id, TimelineEntry.type == "taken_over"
        )
    )
    assert entry is not None and entry.actor == t.a_seat2.actor
    assert entry.data == {"seat": t.a_seat2.username, "from": t.a_seat.username}


@pytest.mark.parametrize(("steps", "code"), [([], "illegal_transition"), (["accept"], "already_yours")])
async def test_a_case_nobody_holds_or_the_seat_holds_itself_is_not_taken_over(
    session: AsyncSession, steps: list[str], code: str
) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT)
    for step in steps:
        await actions.act(session, t.a_seat, made.incident.id, step)
    with pytest.raises(Conflict) as refused:
        await actions.act(session, t.a_seat, made.incident.id, "take-over")
    assert refused.value.code == code


async def test_a_closed_case_or_one_out_of_sight_is_not_taken_over(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT)
    await actions.act(session, t.a_seat, made.incident.id, "accept")
    with pytest.raises(NotFound):
        await actions.act(session, t.b_seat, made.incident.id, "take-over")  # district B sees not A
    await actions.act(session, t.a_seat, made.incident.id, "close", disposition="test")
    with pytest.raises(Conflict) as refused:
        await actions.act(session, t.a_seat2, made.incident.id, "take-over")
    assert refused.value.code == "illegal_transition"


async def test_the_queue_says_whether_the_holding_seats_console_is_there(session: AsyncSession) -> None:
    t = await factories.tree(session)
    token, _, _ = await accounts_service.login(
        session, username=t.a_seat.username, password="password-1", ttl_s=3600
    )
    held = await factories.alarm(session, t.city, Tree.A_POINT)
    await actions.act(session, t.a_seat, held.incident.id, "accept")
    waiting = await factories.alarm(session, t.city, Tree.A_POINT)
    by_nobody_here = await factories.alarm(session, t.city, Tree.A_POINT)
    await actions.act(session, t.a_seat2, by_nobody_here.incident.id, "accept")  # a_seat2 never signed in
    incidents = [held.incident, waiting.incident, by_nobody_here.incident]

    async def present() -> list[bool | None]:
        return [row["holder_present"] for row in await incident_views.listed(session, incidents)]

    assert await present() == [True, None, False]
    stored = await session.get(SeatToken, hashlib.sha256(token.encode()).hexdigest())
    assert stored is not None
    stored.seen_at = stored.created_at = utcnow() - timedelta(seconds=PRESENCE_S + 5)
    await session.flush()
    assert await present() == [False, None, False]
    # A case the superior server's seat accepted is held by no seat of this server.
    held.incident.accepted_by = "superior:guangdong.net"
    await session.flush()
    assert (await present())[0] is None
