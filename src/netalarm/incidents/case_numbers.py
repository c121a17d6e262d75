"""Human case numbers `<centre>-<yyyymmdd>-<seq>`, unique per centre and local day."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.incidents.models import CaseCounter


async def next_case_number(session: AsyncSession, centre_code: str, at: datetime, timezone: str) -> str:
    """Take the next number for the centre's day atomically (an upsert on the counter row)."""
    day = at.astimezone(ZoneInfo(timezone)).strftime("%Y%m%d")
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(CaseCounter).values(centre_code=centre_code, day=day, last=1)
    upsert = stmt.on_conflict_do_update(
        index_elements=[CaseCounter.centre_code, CaseCounter.day], set_={"last": CaseCounter.last + 1}
    ).returning(CaseCounter.last)
    seq = (await session.execute(upsert)).scalar_one()
    return f"{centre_code}-{day}-{seq:06d}"
