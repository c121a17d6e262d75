"""Human case numbers `<centre>-<yyyymmdd>-<seq>`, unique per centre and local day."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.incidents.models import CaseCounter


async def take_case_numbers(
    session: AsyncSession, centre_code: str, at: datetime, timezone: str, count: int = 1
) -> list[str]:
    """Take the next `count` numbers of the centre's day in one atomic upsert of its counter
    row; the row stays locked until the transaction ends, so numbers never repeat."""
    day = at.astimezone(ZoneInfo(timezone)).strftime("%Y%m%d")
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(CaseCounter).values(centre_code=centre_code, day=day, last=count)
    upsert = stmt.on_conflict_do_update(
        index_elements=[CaseCounter.centre_code, CaseCounter.day], set_={"last": CaseCounter.last + count}
    ).returning(CaseCounter.last)
    last = (await session.execute(upsert)).scalar_one()
    return [f"{centre_code}-{day}-{seq:06d}" for seq in range(last - count + 1, last + 1)]
