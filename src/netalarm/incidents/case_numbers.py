"""Human case numbers `<centre>-<yyyymmdd>-<seq>`, unique per centre and local day."""

from __future__ import annotations

from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

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
