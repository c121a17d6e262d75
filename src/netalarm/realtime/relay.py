"""The outbox relay: publishes committed outbox rows on the bus, oldest first.

At-least-once: rows are claimed, published, then marked in one transaction, so a crash
after publishing and before the mark commits publishes them again (consumers drop the
duplicate by event id); a crash before publishing loses nothing, since the rows stay
unpublished for the next relay of any process.

One relay at a time gives out publication numbers (`published_seq`): on PostgreSQL a
transaction-scoped advisory lock, on SQLite the database write lock (`BEGIN IMMEDIATE`).
A relay waits for its turn in the database rather than polling for it: the holder may have
looked before the waiter's rows committed, so the waiter publishes them right after.
A row that commits late therefore gets a later number than everything published before
it, and a client resuming "after" an event never skips one.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from typing import cast

from sqlalchemy import Table, Update, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.core.clock import utcnow
from netalarm.core.db import UTCDateTime, transaction
from netalarm.core.outbox import OutboxEvent
from netalarm.realtime.bus import Bus
from netalarm.realtime.events import Event

log = logging.getLogger(__name__)

BATCH = 200
# Any constant works; it only has to be the same in every process of the deployment.
RELAY_LOCK = 0x6E616C2D72656C61
_TURN = select(func.pg_advisory_xact_lock(RELAY_LOCK), func.set_config("synchronous_commit", "off", True))


async def relay_once(session: AsyncSession, bus: Bus, *, batch: int = BATCH) -> int:
    """Claim up to `batch` unpublished rows in outbox order, mark them published with the
    next publication numbers, and publish them, once this relay has the turn. Returns how
    many were published. The caller commits (the mark) or rolls back (they stay
    unpublished)."""
    if session.get_bind().dialect.name == "postgresql":
        # The turn, and (in the same round trip) a commit that does not wait for the disk: a
        # mark lost to a database crash only means the rows are published again (consumers
        # drop repeated ids), and the next relay, here or in another process, goes sooner.
        await session.execute(_TURN)
    marked = await session.execute(_claim_and_mark(batch), {"now": utcnow()})
    rows = sorted(marked.all(), key=lambda row: row.published_seq)
    if not rows:
        return 0
    events = [Event.from_row(row) for row in rows]
    await bus.publish(session, events)
    return len(events)


@functools.cache
def _claim_and_mark(batch: int) -> Update:
    """Claim and mark in one statement, built once (building it was a tenth of a small run).
    The turn (advisory lock or write lock) and the row locks make the claimed rows ours
    alone, and nobody else numbers rows meanwhile."""
    outbox = cast(Table, OutboxEvent.__table__)
    claimed = (
        select(outbox.c.seq)
        .where(outbox.c.published_at.is_(None))
        .order_by(outbox.c.seq)
        .limit(batch)
        .with_for_update(skip_locked=True)
        .cte("claimed")
    )
    last = select(func.coalesce(func.max(outbox.c.published_seq), 0)).scalar_subquery()
    numbered = select(
        claimed.c.seq, (last + func.row_number().over(order_by=claimed.c.seq)).label("number")
    ).cte("numbered")
    return (
        update(outbox)
        .where(outbox.c.seq == numbered.c.seq)
        .values(published_at=bindparam("now", type_=UTCDateTime()), published_seq=numbered.c.number)
        .returning(*outbox.c)
    )


class Relay:
    """Runs `relay_once` whenever woken (after a local commit that queued events) and every
    `poll_s` (rows whose process died before publishing them, or committed elsewhere)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], bus: Bus, *, poll_s: float) -> None:
        self._sessions = sessions
        self._bus = bus
        self._poll_s = poll_s
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def drain(self) -> int:
        """Publish until nothing is left; returns how many this process published. Gives up
        (until the next wake or poll) when the bus or the database fails."""
        published = 0
        while True:
            try:
                async with transaction(self._sessions) as session:
                    count = await relay_once(session, self._bus)
            except Exception as exc:  # a bus or database outage: the rows wait for the next round
                log.warning("outbox relay: %s: %s", type(exc).__name__, exc)
                return published
            published += count
            if count < BATCH:
                return published

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_s)
            self._wake.clear()
            await self.drain()
