"""Published events are kept for a while, for clients resuming after a drop, then deleted:
the outbox would otherwise grow by every event ever. The timeline, not the outbox, is the
record of a case; a client whose cursor is gone is refused and starts afresh."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.core import outbox, tasks
from netalarm.core.clock import utcnow
from netalarm.core.db import transaction

# How often a process looks, at most: old events need not go the minute they are old.
MAX_TICK_S = 3600.0


async def prune_all(sessions: async_sessionmaker[AsyncSession], keep_s: float) -> int:
    """Delete every event published more than `keep_s` ago (but the newest), a batch per
    transaction; returns how many. Several processes may run it at once."""
    before = utcnow() - timedelta(seconds=keep_s)
    deleted = 0
    while True:
        async with transaction(sessions) as session:
            count = await outbox.prune(session, before)
        deleted += count
        if count < outbox.PRUNE_BATCH:
            return deleted


async def prune_forever(sessions: async_sessionmaker[AsyncSession], keep_s: float) -> None:
    """`prune_all` a few times per `keep_s`, at most an hour apart, until cancelled."""
    await tasks.every(
        min(MAX_TICK_S, keep_s / 4), lambda: prune_all(sessions, keep_s), what="pruning published events"
    )
