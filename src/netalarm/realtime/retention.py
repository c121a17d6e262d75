"""Published events are kept for a while, for clients resuming after a drop, then deleted:
the outbox would otherwise grow by every event ever. The timeline, not the outbox, is the
record of a case; a client whose cursor is gone is refused and starts afresh."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.core import outbox
from netalarm.core.clock import utcnow
from netalarm.core.db import transaction

log = logging.getLogger(__name__)

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
    tick_s = min(MAX_TICK_S, keep_s / 4)
    while True:
        await asyncio.sleep(tick_s)
        try:
            await prune_all(sessions, keep_s)
        except Exception:  # a database outage: the next tick tries again, the server goes on
            log.exception("pruning published events failed")
