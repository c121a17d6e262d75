"""`insert_tables`: many new rows of several tables in one go (one statement on PostgreSQL),
parents beside their children; objects of the rows (`as_loaded`, `attach`) end as if added
and flushed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts import service as accounts_service
from netalarm.accounts.models import Reporter
from netalarm.core import outbox
from netalarm.core.db import as_loaded, attach, insert_tables, new_row, table
from netalarm.core.ids import uuid7
from netalarm.core.outbox import OutboxEvent
from netalarm.incidents.models import Alarm
from tests.support import factories
from tests.support.factories import Tree


async def test_rows_are_stored_and_objects_of_them_are_persistent_with_their_defaults(
    session: AsyncSession,
) -> None:
    rows = [new_row(Reporter, **accounts_service.reporter_row(name=f"r{n}")) for n in range(3)]
    bare = new_row(Reporter, id=uuid7())  # nothing else given: the column defaults apply
    assert bare["created_at"] is not None and bare["name"] is None
    event = outbox.event_row("test_event", data={"n": 1, "text": "报警 'quoted'"})
    await insert_tables(session, [(table(Reporter), [*rows, bare]), (table(OutboxEvent), [event])])
    made = as_loaded(Reporter, [*rows, bare])
    attach(session, made)
    stored = await session.scalar(
        select(func.count()).select_from(Reporter).where(Reporter.id.in_([r.id for r in made]))
    )
    assert stored == 4
    assert all(r in session and r not in session.new and r not in session.dirty for r in made)
    assert [r.name for r in made] == ["r0", "r1", "r2", None]
    row = (
        await session.execute(
            select(OutboxEvent.type, OutboxEvent.data).where(OutboxEvent.type == "test_event")
        )
    ).one()
    assert tuple(row) == ("test_event", {"n": 1, "text": "报警 'quoted'"})


async def test_objects_of_inserted_rows_write_their_changes_like_loaded_ones(session: AsyncSession) -> None:
    row = new_row(Reporter, **accounts_service.reporter_row(name="before"))
    await insert_tables(session, [(table(Reporter), [row])])
    [reporter] = as_loaded(Reporter, [row])
    attach(session, [reporter])
    reporter.name = "after"
    assert reporter in session.dirty
    await session.flush()
    session.expunge_all()
    assert (await session.get(Reporter, row["id"])).name == "after"  # type: ignore[union-attr]


def test_a_new_row_names_every_column_and_fills_callable_defaults_afresh() -> None:
    first, second = new_row(Alarm), new_row(Alarm)
    assert set(first) == {column.key for column in table(Alarm).columns}
    assert first["id"] != second["id"] and first["channel"] == "web" and first["lat"] is None
    assert new_row(Alarm, channel="sms")["channel"] == "sms"


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
