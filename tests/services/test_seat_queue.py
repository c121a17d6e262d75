"""The seat console's queue read (`incidents.queue.read`): a page of light rows, the rows named
by id, and the counts the console cannot make from the rows it holds — open cases, cases past
their time to accept, seats gone. Both back ends."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts import service as accounts_service
from netalarm.accounts.models import SeatToken
from netalarm.accounts.service import PRESENCE_S
from netalarm.core.clock import utcnow
from netalarm.core.errors import Invalid
from netalarm.incidents import actions, queue
from netalarm.incidents import views as incident_views
from netalarm.incidents.models import Incident
from tests.support import factories
from tests.support.factories import Tree
from tests.support.statements import recorded

LIMITS = {"P1": 15.0, "P2": 30.0, "P3": 120.0, "P4": 600.0}


async def _waiting(session: AsyncSession, incident: Incident, seconds: float) -> None:
    """The incident's time to accept began `seconds` ago."""
    incident.sla_started_at = utcnow() - timedelta(seconds=seconds)
    await session.flush()


async def test_a_page_lists_open_cases_most_urgent_first_in_light_rows_and_counts_them_all(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    p3, p1, p2 = [
        (
            await factories.alarm(session, t.city, Tree.B_POINT, category=c, description="secret words")
        ).incident
        for c in ("fraud", "fire", "traffic")
    ]
    closed = (await factories.alarm(session, t.city, Tree.B_POINT, category="fire")).incident
    await actions.act(session, t.b_seat, closed.id, "close", disposition="test")
    await factories.alarm(session, t.city, Tree.A_POINT, category="fire")  # district A's

    page = await queue.read(session, t.b_seat, limits=LIMITS, limit=2)

    assert [r["id"] for r in page["rows"]] == [str(p1.id), str(p2.id)]
    assert page["total"] == 3
    assert all(tuple(r) == queue.ROW_FIELDS for r in page["rows"])
    assert "secret words" not in str(page)
    listed = (await incident_views.listed(session, [p1]))[0]
    assert page["rows"][0] == {k: listed[k] for k in queue.ROW_FIELDS}
    whole = await queue.read(session, t.b_seat, limits=LIMITS)
    assert [r["id"] for r in whole["rows"]] == [str(p1.id), str(p2.id), str(p3.id)]
    counts = await queue.read(session, t.b_seat, limits=LIMITS, limit=0)
    assert (counts["rows"], counts["total"]) == ([], 3)


async def test_the_overdue_count_is_exact_however_few_rows_are_listed(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = [
        (await factories.alarm(session, t.city, Tree.B_POINT, category="fire")).incident for _ in range(4)
    ]
    late_p3 = (await factories.alarm(session, t.city, Tree.B_POINT, category="fraud")).incident
    taken = (await factories.alarm(session, t.city, Tree.B_POINT, category="fire")).incident
    for incident in (*made[:3], taken):
        await _waiting(session, incident, LIMITS["P1"] + 5)
    await _waiting(session, made[3], LIMITS["P1"] - 5)  # not late yet
    await _waiting(session, late_p3, LIMITS["P3"] + 1)
    await actions.act(session, t.b_seat, taken.id, "accept")  # accepted late: no longer waiting

    for limit in (0, 1, 500):
        answer = await queue.read(session, t.b_seat, limits=LIMITS, limit=limit)
        assert (answer["total"], answer["overdue"]) == (6, 4)
    assert (await queue.read(session, t.a_seat, limits=LIMITS))["overdue"] == 0
    longer = await queue.read(session, t.b_seat, limits={**LIMITS, "P3": 3600.0}, limit=0)
    assert longer["overdue"] == 3


async def test_a_read_by_ids_returns_only_those_still_open_in_the_seats_view_in_queue_order(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    fraud = (await factories.alarm(session, t.city, Tree.B_POINT, category="fraud")).incident
    fire = (await factories.alarm(session, t.city, Tree.B_POINT, category="fire")).incident
    closed = (await factories.alarm(session, t.city, Tree.B_POINT)).incident
    await actions.act(session, t.b_seat, closed.id, "close", disposition="test")
    elsewhere = (await factories.alarm(session, t.city, Tree.A_POINT)).incident
    unlisted = (await factories.alarm(session, t.city, Tree.B_POINT, category="fire")).incident

    wanted = [fraud.id, closed.id, elsewhere.id, uuid.uuid4(), fire.id]
    answer = await queue.read(session, t.b_seat, limits=LIMITS, ids=wanted)

    assert [r["id"] for r in answer["rows"]] == [str(fire.id), str(fraud.id)]
    assert str(unlisted.id) not in str(answer["rows"])
    assert answer["total"] == 3
    nothing = await queue.read(session, t.b_seat, limits=LIMITS, ids=[])
    assert (nothing["rows"], nothing["total"]) == ([], 3)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"limit": -1}, "limit"),
        ({"limit": 501}, "limit"),
        ({"ids": [uuid.uuid4() for _ in range(101)]}, "ids"),
    ],
)
async def test_a_bad_limit_or_too_many_ids_is_refused_naming_the_field(
    session: AsyncSession, fields: dict[str, Any], field: str
) -> None:
    t = await factories.tree(session)
    with pytest.raises(Invalid) as refused:
        await queue.read(session, t.b_seat, limits=LIMITS, **fields)
    assert refused.value.field == field


async def test_the_queue_names_the_seats_holding_its_cases_whose_console_has_gone(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    token, _, _ = await accounts_service.login(
        session, username=t.a_seat.username, password="password-1", ttl_s=3600
    )
    held = (await factories.alarm(session, t.city, Tree.A_POINT)).incident
    await actions.act(session, t.a_seat, held.id, "accept")
    by_a2 = (await factories.alarm(session, t.city, Tree.A_POINT)).incident
    await actions.act(session, t.a_seat2, by_a2.id, "accept")  # a_seat2 never signed in
    above = (await factories.alarm(session, t.city, Tree.A_POINT)).incident
    above.accepted_by, above.status = "superior:guangdong.net", "accepted"
    await session.flush()

    first = await queue.read(session, t.a_seat, limits=LIMITS, limit=0)
    assert first["away"] == [t.a_seat2.username]
    stored = await session.get(SeatToken, hashlib.sha256(token.encode()).hexdigest())
    assert stored is not None
    stored.seen_at = stored.created_at = utcnow() - timedelta(seconds=PRESENCE_S + 5)
    await session.flush()

    later = await queue.read(session, t.a_seat, limits=LIMITS, ids=[held.id])
    assert later["away"] == sorted([t.a_seat.username, t.a_seat2.username])
    assert later["rows"][0]["holder_present"] is False
    assert (await queue.read(session, t.b_seat, limits=LIMITS))["away"] == []


async def test_a_page_runs_the_same_number_of_queries_for_two_rows_as_for_twenty(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    for _ in range(20):
        made = (await factories.alarm(session, t.city, Tree.B_POINT)).incident
        await actions.act(session, t.b_seat, made.id, "accept")
    with recorded(session) as statements:
        await queue.read(session, t.b_seat, limits=LIMITS, limit=2)
        for_two = len(statements)
        statements.clear()
        await queue.read(session, t.b_seat, limits=LIMITS, limit=20)
        for_twenty = len(statements)
    assert for_twenty == for_two <= 10
