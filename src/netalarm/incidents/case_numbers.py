"""Human case numbers `<centre>-<yyyymmdd>-<seq>`, unique per centre and local day.

A counter row per centre and day hands them out. Taken inside the caller's transaction, the
row stays locked until that transaction commits, so concurrent intake batches queue behind
each other's commits. `reserve_case_numbers` instead takes them in a short transaction of
their own: batches then commit side by side. A batch that fails after reserving leaves its
numbers unused (a gap in the sequence, as with a database sequence); nothing is ever
numbered twice."""

from __future__ import annotations

from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.core.db import transaction
from netalarm.incidents.models import CaseCounter


async def take_case_numbers(
    session: AsyncSession, counts: dict[str, int], at: datetime, timezone: str
) -> dict[str, list[str]]:
    """Take the next `counts[code]` numbers of each centre's day, all in one atomic upsert
    of their counter rows; the rows stay locked until the transaction ends, so numbers
    never repeat. Rows are written in code order, so two batches never wait on each other
    in a cycle."""
    if not counts:
        return {}
    day = at.astimezone(ZoneInfo(timezone)).strftime("%Y%m%d")
    table = cast(Table, CaseCounter.__table__)  # the table itself: a Core upsert, no ORM layer
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(
        [{"centre_code": code, "day": day, "last": counts[code]} for code in sorted(counts)]
    )
    upsert = stmt.on_conflict_do_update(
        index_elements=[table.c.centre_code, table.c.day], set_={"last": table.c.last + stmt.excluded.last}
    ).returning(table.c.centre_code, table.c.last)
    numbers: dict[str, list[str]] = {}
    for code, last in (await session.execute(upsert)).all():
        count = counts[code]
        numbers[code] = [f"{code}-{day}-{seq:06d}" for seq in range(last - count + 1, last + 1)]
    return numbers


async def reserve_case_numbers(
    sessions: async_sessionmaker[AsyncSession], counts: dict[str, int], at: datetime, timezone: str
) -> dict[str, list[str]]:
    """`take_case_numbers` in a transaction of its own, committed before the caller stores
    the alarms (never call it inside another SQLite write transaction: SQLite lets one
    writer in at a time, so it would wait for that one).

    On PostgreSQL its commit does not wait for the disk: the later, durable commit of the alarms that use
    the numbers flushes the write-ahead log past it, so numbers on an acknowledged alarm are
    never handed out again after a crash."""
    async with transaction(sessions) as session:
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        return await take_case_numbers(session, counts, at, timezone)
