"""`insert_all`: many new rows in one statement per table, ending as if added and flushed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts import service as accounts_service
from netalarm.accounts.models import Reporter
from netalarm.core import outbox
from netalarm.core.db import insert_all
from netalarm.core.ids import uuid7
from netalarm.core.outbox import OutboxEvent


async def test_rows_are_stored_and_objects_are_persistent_with_their_defaults(session: AsyncSession) -> None:
    reporters = [Reporter(**accounts_service.reporter_row(name=f"r{n}")) for n in range(3)]
    bare = Reporter(id=uuid7())  # nothing else set: the column defaults apply
    event = OutboxEvent(**outbox.event_row("test_event", data={"n": 1}))
    await insert_all(session, [*reporters, bare, event])
    stored = await session.scalar(
        select(func.count()).select_from(Reporter).where(Reporter.id.in_([r.id for r in [*reporters, bare]]))
    )
    assert stored == 4
    assert all(r in session and r not in session.new for r in [*reporters, bare])
    assert bare.created_at is not None and bare.name is None
    # The database numbers outbox rows, so the event cannot be identified: it stays out.
    assert event not in session
    assert await session.scalar(select(OutboxEvent.type).where(OutboxEvent.id == event.id)) == "test_event"


async def test_a_duplicate_key_fails_the_whole_statement(session: AsyncSession) -> None:
    first = Reporter(**accounts_service.reporter_row(name="first"))
    twin = Reporter(id=first.id, name="twin")
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await insert_all(session, [first, twin])
    assert (
        await session.scalar(select(func.count()).select_from(Reporter).where(Reporter.id == first.id)) == 0
    )
