"""Human case numbers `<centre>-<yyyymmdd>-<seq>`, unique per centre and local day.

A counter row per centre and day hands them out. Taken inside the caller's transaction, the
row stays locked until that transaction commits, so concurrent intake batches queue behind
each other's commits. `CaseNumberReserver` instead takes them in a transaction of their own
(PostgreSQL): batches then commit side by side. A batch that fails after reserving leaves its
numbers unused (a gap in the sequence, as with a database sequence); nothing is ever
numbered twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, Table, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
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
    codes = sorted(counts)
    if (db.dialect if isinstance(db, AsyncConnection) else db.get_bind().dialect).name == "postgresql":
        params = {"codes": codes, "day": day, "counts": [counts[code] for code in codes]}
        rows = list((await db.execute(_POSTGRES_UPSERT, params)).all())
    else:  # SQLite: no round trips to save, one cached statement per centre
        rows = [
            (await db.execute(_SQLITE_UPSERT, {"codes": code, "day": day, "counts": counts[code]})).one()
            for code in codes
        ]
    numbers: dict[str, list[str]] = {}
    for code, last in rows:
        count = counts[code]
        numbers[code] = [f"{code}-{day}-{seq:06d}" for seq in range(last - count + 1, last + 1)]
    return numbers


def _upsert(insert: Any, rows: Any) -> Any:
    """The counter upsert of `rows` (centre code, day, count) — built once per back end, so
    it is compiled once (a Core upsert, no ORM layer)."""
    table = cast(Table, CaseCounter.__table__)
    stmt = insert(table).from_select(["centre_code", "day", "last"], rows)
    return stmt.on_conflict_do_update(
        index_elements=[table.c.centre_code, table.c.day], set_={"last": table.c.last + stmt.excluded.last}
    ).returning(table.c.centre_code, table.c.last)


# PostgreSQL: every centre of the batch in one statement, the arrays unnested side by side.
_POSTGRES_UPSERT = _upsert(
    postgresql.insert,
    select(
        func.unnest(bindparam("codes", type_=ARRAY(String))),
        bindparam("day", type_=String),
        func.unnest(bindparam("counts", type_=ARRAY(Integer))),
    ),
)
_SQLITE_UPSERT = _upsert(
    sqlite.insert,
    select(
        bindparam("codes", type_=String), bindparam("day", type_=String), bindparam("counts", type_=Integer)
    ),
)


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
