"""Human case numbers `<centre>-<yyyymmdd>-<seq>`, unique per centre and local day.

A counter row per centre and day hands them out. Taken inside the caller's transaction, the
row stays locked until that transaction commits, so concurrent intake batches queue behind
each other's commits. `CaseNumberReserver` instead takes them in a transaction of their own
(PostgreSQL): batches then commit side by side. A batch that fails after reserving leaves its
numbers unused (a gap in the sequence, as with a database sequence); nothing is ever
numbered twice."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from netalarm.core.db import make_engine
from netalarm.incidents.models import CaseCounter


async def take_case_numbers(
    db: AsyncSession | AsyncConnection, counts: dict[str, int], at: datetime, timezone: str
) -> dict[str, list[str]]:
    """Take the next `counts[code]` numbers of each centre's day, all in one atomic upsert
    of their counter rows; the rows stay locked until the transaction ends, so numbers
    never repeat. Rows are written in code order, so two batches never wait on each other
    in a cycle."""
    if not counts:
        return {}
    day = at.astimezone(ZoneInfo(timezone)).strftime("%Y%m%d")
    dialect = (db.dialect if isinstance(db, AsyncConnection) else db.get_bind().dialect).name
    codes = sorted(counts)
    params: dict[str, Any] = {"day": day}
    for index, code in enumerate(codes):
        params[f"code{index}"], params[f"count{index}"] = code, counts[code]
    rows = (await db.execute(_upsert(dialect, len(codes)), params)).all()
    numbers: dict[str, list[str]] = {}
    for code, last in rows:
        count = counts[code]
        numbers[code] = [f"{code}-{day}-{seq:06d}" for seq in range(last - count + 1, last + 1)]
    return numbers


@functools.cache
def _upsert(dialect: str, centres: int) -> Any:
    """The counter upsert for `centres` centres, built once (a Core upsert, no ORM layer)."""
    table = cast(Table, CaseCounter.__table__)
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(
        [
            {"centre_code": bindparam(f"code{i}"), "day": bindparam("day"), "last": bindparam(f"count{i}")}
            for i in range(centres)
        ]
    )
    return stmt.on_conflict_do_update(
        index_elements=[table.c.centre_code, table.c.day], set_={"last": table.c.last + stmt.excluded.last}
    ).returning(table.c.centre_code, table.c.last)


class CaseNumberReserver:
    """Takes case numbers on PostgreSQL outside the caller's transaction, in one round trip:
    the upsert runs on its own connection in autocommit mode, as a transaction of its own.

    Its commits do not wait for the disk: the later, durable commit of the alarms that use
    the numbers flushes the write-ahead log past them, so numbers on an acknowledged alarm
    are never handed out again after a crash."""

    def __init__(self, url: str, timezone: str) -> None:
        self._timezone = timezone
        self._engine = make_engine(
            url,
            isolation_level="AUTOCOMMIT",
            pool_size=2,
            max_overflow=2,
            connect_args={"server_settings": {"synchronous_commit": "off"}},
        )

    async def reserve(self, counts: dict[str, int], at: datetime) -> dict[str, list[str]]:
        async with self._engine.connect() as connection:
            return await take_case_numbers(connection, counts, at, self._timezone)

    async def close(self) -> None:
        await self._engine.dispose()
