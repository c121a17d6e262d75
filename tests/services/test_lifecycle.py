"""The incident lifecycle: legal moves stamp and record; illegal ones are refused and change nothing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.core.errors import Conflict, Invalid, NotFound
from netalarm.incidents import actions
from netalarm.incidents import service as incident_service
from netalarm.incidents import views as incident_views
from netalarm.incidents.models import Incident
from netalarm.timeline import service as timeline_service
from tests.support import factories
from tests.support.factories import Tree
from tests.support.statements import recorded


async def test_the_closed_loop_runs_and_every_step_is_on_the_timeline(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT)
    iid = made.incident.id
    await actions.act(session, t.a_seat, iid, "accept")
    await actions.act(session, t.a_seat, iid, "dispatch", note="car 7 sent")
    await actions.act(session, t.a_seat, iid, "resolve", outcome="suspect detained")
    incident = await actions.act(session, t.a_seat, iid, "close", disposition="handled")
    assert incident.status == "closed" and incident.disposition == "handled"
    assert incident.accepted_by == t.a_seat.username
    assert incident.accepted_at and incident.dispatched_at and incident.resolved_at and incident.closed_at
    types = [e.type for e in await timeline_service.entries(session, iid)]
    assert types == ["alarm_received", "accepted", "dispatched", "resolved", "closed"]
    assert (await timeline_service.verify(session, iid)).ok


@pytest.mark.parametrize(
    ("steps", "illegal"),
    [
        ([], ("dispatch", {})),
        ([], ("resolve", {"outcome": "x"})),
        (["accept"], ("accept", {})),
        (["accept"], ("close", {"disposition": "handled"})),
        (["accept", "dispatch"], ("close", {"disposition": "false_alarm"})),
        (["close"], ("close", {"disposition": "prank"})),
        (["close"], ("accept", {})),
    ],
)
async def test_an_illegal_action_is_a_conflict_and_changes_nothing(
    session: AsyncSession, steps: list[str], illegal: tuple[str, dict[str, Any]]
) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT)
    for step in steps:
        extra: dict[str, Any] = {"disposition": "false_alarm"} if step == "close" else {}
        await actions.act(session, t.a_seat, made.incident.id, step, **extra)
    before = await incident_views.public(session, made.incident)
    count = len(await timeline_service.entries(session, made.incident.id))
    with pytest.raises(Conflict):
        async with session.begin_nested():
            await actions.act(session, t.a_seat, made.incident.id, illegal[0], **illegal[1])
    await session.refresh(made.incident)
    assert await incident_views.public(session, made.incident) == before
    assert len(await timeline_service.entries(session, made.incident.id)) == count


async def test_a_received_incident_may_close_only_as_nothing_to_dispose_of(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT)
    with pytest.raises(Invalid):
        await actions.act(session, t.a_seat, made.incident.id, "close", disposition="no-such")
    with pytest.raises(Invalid):
        await actions.act(session, t.a_seat, made.incident.id, "close")
    closed = await actions.act(session, t.a_seat, made.incident.id, "close", disposition="test")
    assert closed.status == "closed"


async def test_resolving_needs_an_outcome(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT)
    await actions.act(session, t.a_seat, made.incident.id, "accept")
    await actions.act(session, t.a_seat, made.incident.id, "dispatch")
    with pytest.raises(Invalid) as refused:
        await actions.act(session, t.a_seat, made.incident.id, "resolve", outcome="  ")
    assert refused.value.field == "outcome"


async def test_priority_and_category_ride_on_an_action_and_are_recorded(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT, category="other")
    incident = await actions.act(
        session, t.a_seat, made.incident.id, "accept", priority="P4", category="fraud"
    )
    assert (incident.priority, incident.category) == ("P4", "fraud")
    entry = next(e for e in await timeline_service.entries(session, incident.id) if e.type == "classified")
    assert entry.data == {
        "from": {"priority": "P3", "category": "other"},
        "to": {"priority": "P4", "category": "fraud"},
    }
    with pytest.raises(Invalid):
        await actions.act(session, t.a_seat, incident.id, "classify", priority="P9")


async def test_a_reporters_stated_category_applies_only_before_any_seat_judged(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT, category="other")
    actor = f"reporter:{made.alarm.reporter_id}"
    assert await incident_service.state_category(session, made.alarm, "violence", actor=actor)
    assert not await incident_service.state_category(session, made.alarm, "violence", actor=actor)
    await actions.classify(session, t.a_seat, made.incident, priority="P2")
    assert not await incident_service.state_category(session, made.alarm, "fraud", actor=actor)
    assert made.incident.category == "violence"
    entries = [e for e in await timeline_service.entries(session, made.incident.id) if e.type == "classified"]
    assert [e.actor for e in entries] == [actor, t.a_seat.actor]
    await actions.act(session, t.a_seat, made.incident.id, "close", disposition="test")
    with pytest.raises(Conflict):
        await incident_service.state_category(session, made.alarm, "fire", actor=actor)


async def test_a_stated_category_raises_the_priority_it_calls_for_and_never_lowers_it(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT, category="other")
    actor = f"reporter:{made.alarm.reporter_id}"
    assert made.incident.priority == "P3"
    await incident_service.state_category(session, made.alarm, "violence", actor=actor)
    await incident_service.state_category(session, made.alarm, "fraud", actor=actor)
    assert (made.incident.category, made.incident.priority) == ("fraud", "P1")
    entries = [e for e in await timeline_service.entries(session, made.incident.id) if e.type == "classified"]
    assert [(e.data["from"], e.data["to"]) for e in entries] == [
        ({"category": "other", "priority": "P3"}, {"category": "violence", "priority": "P1"}),
        ({"category": "violence"}, {"category": "fraud"}),
    ]


async def test_a_seats_note_goes_on_the_record_in_any_status_and_needs_words(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT)
    iid = made.incident.id
    await actions.note(session, t.a_seat, iid, "  Unit 12 on scene  ")
    await actions.act(session, t.a_seat, iid, "close", disposition="false_alarm")
    await actions.note(session, t.a_seat, iid, "Caller rang back: pocket dial")
    notes = [e for e in await timeline_service.entries(session, iid) if e.type == "seat_note"]
    assert [(e.actor, e.data["text"]) for e in notes] == [
        (t.a_seat.actor, "Unit 12 on scene"),
        (t.a_seat.actor, "Caller rang back: pocket dial"),
    ]
    for empty in ("", "   ", None):
        with pytest.raises(Invalid) as refused:
            await actions.note(session, t.a_seat, iid, empty)
        assert refused.value.field == "text"
    with pytest.raises(NotFound):
        await actions.note(session, t.b_seat, iid, "not my district")
    assert (await timeline_service.verify(session, iid)).ok


async def test_a_sibling_district_gets_not_found_and_the_city_sees_all(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT)
    with pytest.raises(NotFound):
        await incident_service.get_visible(session, t.b_seat, made.incident.id)
    with pytest.raises(NotFound):
        await actions.act(session, t.b_seat, made.incident.id, "accept")
    assert (await incident_service.get_visible(session, t.city_seat, made.incident.id)).id == made.incident.id
    seen_by_b, _ = await incident_views.list_visible(session, t.b_seat)
    assert made.incident.id not in {i.id for i in seen_by_b}
    seen_by_city, _ = await incident_views.list_visible(session, t.city_seat, centre_code=t.a.code)
    assert made.incident.id in {i.id for i in seen_by_city}
    with pytest.raises(NotFound):
        await incident_views.list_visible(session, t.b_seat, centre_code=t.a.code)


async def test_listing_filters_newest_first_and_paginates(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = [
        await factories.alarm(session, t.city, Tree.B_POINT, category=c) for c in ("fraud", "fire", "other")
    ]
    await actions.act(session, t.b_seat, made[0].incident.id, "accept")
    rows, total = await incident_views.list_visible(session, t.b_seat)
    assert total == 3 and [r.id for r in rows] == [m.incident.id for m in reversed(made)]
    page, _ = await incident_views.list_visible(session, t.b_seat, limit=1, offset=1)
    assert [r.id for r in page] == [made[1].incident.id]
    accepted, n = await incident_views.list_visible(session, t.b_seat, statuses=["accepted"])
    assert n == 1 and accepted[0].id == made[0].incident.id
    p1, _ = await incident_views.list_visible(session, t.b_seat, priorities=["P1"])
    assert [r.id for r in p1] == [made[1].incident.id]
    with pytest.raises(Invalid):
        await incident_views.list_visible(session, t.b_seat, statuses=["lost"])


async def test_the_queue_order_lists_the_most_urgent_priority_first_then_the_longest_waiting(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    old_p3, old_p1, new_p1, p2 = [
        (await factories.alarm(session, t.city, Tree.B_POINT, category=c, silent=c == "other")).incident
        for c in ("fraud", "other", "fire", "traffic")
    ]
    # A case handed over to this centre waits from the hand-over: younger than it was made.
    old_p1.sla_started_at = new_p1.created_at + timedelta(seconds=1)
    await session.flush()
    rows, total = await incident_views.list_visible(session, t.b_seat, order="queue")
    assert total == 4 and [r.id for r in rows] == [new_p1.id, old_p1.id, p2.id, old_p3.id]
    first, _ = await incident_views.list_visible(session, t.b_seat, order="queue", limit=1)
    assert [r.id for r in first] == [new_p1.id]
    with pytest.raises(Invalid) as unknown:
        await incident_views.list_visible(session, t.b_seat, order="oldest")
    assert unknown.value.field == "order"


async def test_a_listing_runs_the_same_number_of_queries_for_two_rows_as_for_twenty(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    made = [(await factories.alarm(session, t.city, Tree.B_POINT)).incident for _ in range(20)]
    with recorded(session) as statements:
        two = await incident_views.listed(session, made[:2])
        for_two = len(statements)
        statements.clear()
        twenty = await incident_views.listed(session, made)
        for_twenty = len(statements)
    assert for_twenty == for_two <= 4
    assert [row["id"] for row in twenty] == [str(i.id) for i in made]
    assert twenty[:2] == two
    assert twenty[5] == {
        **await incident_views.public(session, made[5]),
        "media_count": 0,
        "unread_count": 0,
        "holder_present": None,  # nobody has taken it
    }
    assert await incident_views.listed(session, []) == []


async def test_a_seat_finds_its_cases_open_or_closed_by_case_number_words_and_time(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    fire = await factories.alarm(session, t.city, Tree.B_POINT, description="Smoke from the 50% Off store")
    theft = await factories.alarm(session, t.city, Tree.B_POINT, description="bike stolen")
    elsewhere = await factories.alarm(session, t.city, Tree.A_POINT, description="smoke in district A")
    await actions.act(session, t.b_seat, fire.incident.id, "close", disposition="false_alarm")

    async def found(**filters: Any) -> list[uuid.UUID]:
        rows, total = await incident_views.list_visible(session, t.b_seat, **filters)
        assert total == len(rows)
        return [r.id for r in rows]

    assert await found(text="SMOKE") == [fire.incident.id]  # closed too; not another district's
    assert await found(text="50% off") == [fire.incident.id]
    assert await found(text="%") == [fire.incident.id]  # a wildcard is a plain character
    assert await found(text=theft.incident.case_number[-6:]) == [theft.incident.id]
    assert await found(text="  ") == [theft.incident.id, fire.incident.id]
    assert elsewhere.incident.id not in await found(text="district")
    created = theft.incident.created_at
    assert await found(since=created) == [theft.incident.id]
    assert await found(until=created) == [fire.incident.id]
    assert await found(since=created + timedelta(hours=1)) == []
    with pytest.raises(Invalid) as naive:
        await incident_views.list_visible(session, t.b_seat, since=created.replace(tzinfo=None))
    assert naive.value.field == "since"
    with pytest.raises(Invalid) as long:
        await incident_views.list_visible(session, t.b_seat, text="x" * 101)
    assert long.value.field == "q"


async def test_transfer_hands_the_incident_to_another_centre_keeping_history(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT)
    await actions.act(session, t.a_seat, made.incident.id, "accept")
    moved = await actions.act(session, t.a_seat, made.incident.id, "transfer", centre=t.b.code)
    assert moved.centre_id == t.b.id and moved.status == "received" and moved.accepted_by is None
    entries = await timeline_service.entries(session, moved.id)
    assert [e.type for e in entries] == ["alarm_received", "accepted", "transferred", "received_by_transfer"]
    # The seats that lose the case can no longer read it: the event itself names it.
    assert entries[2].data["case_number"] == moved.case_number
    with pytest.raises(NotFound):
        await incident_service.get_visible(session, t.a_seat, moved.id)
    assert (await actions.act(session, t.b_seat, moved.id, "accept")).accepted_by == t.b_seat.username


async def test_merge_closes_the_duplicate_and_moves_its_alarms(session: AsyncSession) -> None:
    t = await factories.tree(session)
    first = await factories.alarm(session, t.city, Tree.A_POINT)
    second = await factories.alarm(session, t.city, Tree.A_POINT)
    dup = await actions.act(session, t.a_seat, second.incident.id, "merge", into=first.incident.id)
    assert dup.status == "closed" and dup.disposition == "duplicate" and dup.merged_into == first.incident.id
    assert set(await incident_service.alarm_ids(session, first.incident.id)) == {
        first.alarm.id,
        second.alarm.id,
    }
    assert await incident_service.alarm_ids(session, second.incident.id) == []
    with pytest.raises(Invalid):
        await actions.act(session, t.a_seat, first.incident.id, "merge", into=first.incident.id)
    with pytest.raises(Conflict):
        await actions.act(session, t.a_seat, first.incident.id, "merge", into=second.incident.id)


async def test_two_seats_accepting_at_once_one_wins_the_other_sees_who(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as setup:
        t = await factories.tree(setup)
        made = await factories.alarm(setup, t.city, Tree.A_POINT)
        await setup.commit()

    async def accept(seat: object) -> str:
        async with sessions() as s:
            try:
                await actions.act(s, seat, made.incident.id, "accept")  # type: ignore[arg-type]
                await s.commit()
                return "won"
            except Conflict as lost:
                return f"409 {lost.details['accepted_by']}"

    results = sorted(await asyncio.gather(accept(t.a_seat), accept(t.a_seat2)))
    async with sessions() as check:
        incident = await check.get(Incident, made.incident.id)
        assert incident is not None
        assert results == [f"409 {incident.accepted_by}", "won"]
        assert [e.type for e in await timeline_service.entries(check, incident.id)].count("accepted") == 1
