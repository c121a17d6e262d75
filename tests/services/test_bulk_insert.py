"""`insert_tables`: many new rows of several tables in one go (one statement on PostgreSQL),
parents beside their children; objects end as if added and flushed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts import service as accounts_service
from netalarm.accounts.models import Reporter
from netalarm.core import outbox
from netalarm.core.db import attach, insert_tables, object_rows, table
from netalarm.core.ids import uuid7
from netalarm.core.outbox import OutboxEvent
from netalarm.incidents.models import Alarm
from tests.support import factories
from tests.support.factories import Tree


async def test_rows_are_stored_and_objects_are_persistent_with_their_defaults(session: AsyncSession) -> None:
    reporters = [Reporter(**accounts_service.reporter_row(name=f"r{n}")) for n in range(3)]
    bare = Reporter(id=uuid7())  # nothing else set: the column defaults apply
    event = OutboxEvent(**outbox.event_row("test_event", data={"n": 1, "text": "报警 'quoted'"}))
    made = [*reporters, bare, event]
    await insert_tables(session, object_rows(made))
    attach(session, made)
    stored = await session.scalar(
        select(func.count()).select_from(Reporter).where(Reporter.id.in_([r.id for r in [*reporters, bare]]))
    )
    assert stored == 4
    assert all(r in session and r not in session.new for r in [*reporters, bare])
    assert bare.created_at is not None and bare.name is None
    # The database numbers outbox rows, so the event cannot be identified: it stays out.
    assert event not in session
    row = (
        await session.execute(select(OutboxEvent.type, OutboxEvent.data).where(OutboxEvent.id == event.id))
    ).one()
    assert tuple(row) == ("test_event", {"n": 1, "text": "报警 'quoted'"})


async def test_children_may_point_at_parents_inserted_beside_them(session: AsyncSession) -> None:
    t = await factories.tree(session)
    earlier = await factories.alarm(session, t.city, Tree.A_POINT)
    parent = accounts_service.reporter_row(name="new parent", phone="13800138000")
    child = {
        "id": uuid7(),
        "idempotency_key": f"child-{parent['id']}",
        "incident_id": earlier.incident.id,
        "reporter_id": parent["id"],
        "channel": "web",
        "category": "fire",
        "description": "",
        "silent": False,
        "created_at": earlier.alarm.created_at,
    }
    await insert_tables(session, [(table(Reporter), [parent]), (table(Alarm), [child])])
    stored = await session.get(Alarm, child["id"])
    assert stored is not None and stored.reporter_id == parent["id"] and stored.lat is None


async def test_a_child_without_its_parent_or_a_duplicate_key_fails_the_whole_insert(
    session: AsyncSession,
) -> None:
    first = accounts_service.reporter_row(name="first")
    twin = {**accounts_service.reporter_row(name="twin"), "id": first["id"]}
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await insert_tables(session, [(table(Reporter), [first, twin])])
    event = outbox.event_row("orphan_test", data={})
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await insert_tables(
                session,
                [
                    (table(OutboxEvent), [event]),
                    (table(Alarm), [{"id": uuid7(), "idempotency_key": "orphan", "incident_id": uuid7()}]),
                ],
            )
    assert (
        await session.scalar(select(func.count()).select_from(Reporter).where(Reporter.id == first["id"]))
        == 0
    )
    assert (
        await session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == "orphan_test")
        )
        == 0
    )


async def test_nothing_to_insert_is_no_statement(session: AsyncSession) -> None:
    await insert_tables(session, [(table(Reporter), []), (table(OutboxEvent), [])])
