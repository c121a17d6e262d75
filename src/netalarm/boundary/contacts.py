"""The Internet side's view of the 110 link, which only the 110 side opens: when it last
called (each pull is a sign of life, written down in `link_contacts`), and how many forwards
wait for it and since when."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.boundary.models import LinkContact, LinkForward
from netalarm.core.clock import iso, utcnow
from netalarm.core.db import upsert_insert

# How often at most the other side's calls are written down (it calls every second or so).
CONTACT_EVERY_S: Final = 2


async def called(session: AsyncSession, target: str) -> None:
    """The other side of the link to `target` called now (written at most every few seconds,
    by one atomic upsert)."""
    now = utcnow()
    table = LinkContact.__table__
    stmt = upsert_insert(session)(table).values(target=target, last_seen_at=now)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[table.c.target],
            set_={"last_seen_at": now},
            where=table.c.last_seen_at < now - timedelta(seconds=CONTACT_EVERY_S),
        )
    )


async def state(session: AsyncSession, target: str, *, down_after_s: float) -> dict[str, Any]:
    """How many forwards to `target` wait and since when the oldest, when it last called, how
    long ago (by this server's clock), and whether the link is `down`: it has not called for
    more than `down_after_s` (given as said), or never has."""
    waiting = await session.execute(
        select(func.count(), func.min(LinkForward.created_at)).where(
            LinkForward.target == target, LinkForward.received_at.is_(None)
        )
    )
    count, oldest = waiting.one()
    seen = await session.scalar(select(LinkContact.last_seen_at).where(LinkContact.target == target))
    silent_for = round((utcnow() - seen).total_seconds(), 1) if seen else None
    return {
        "waiting": int(count or 0),
        "oldest_waiting_since": iso(oldest),
        "last_contact_at": iso(seen),
        "silent_for_s": silent_for,
        "down_after_s": down_after_s,
        "down": silent_for is None or silent_for > down_after_s,
    }
