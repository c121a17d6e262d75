"""The PostgreSQL bus: NOTIFY in the relay's transaction wakes every process, which reads
the rows published since the last one it saw. The outbox table is the truth, so a lost
notification only delays delivery until the next poll."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.core import tasks
from netalarm.core.outbox import OutboxEvent, last_published
from netalarm.realtime.bus import Deliver
from netalarm.realtime.events import Event

log = logging.getLogger(__name__)

CHANNEL = "netalarm_events"
BATCH = 500


class PostgresBus:
    name = "postgresql"

    def __init__(self, dsn: str, sessions: async_sessionmaker[AsyncSession], poll_s: float = 1.0) -> None:
        self._dsn = dsn
        self._sessions = sessions
        self._poll_s = poll_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._conn: Any = None
        self._last = 0

    async def start(self, deliver: Deliver) -> None:
        async with self._sessions() as session:
            self._last = await last_published(session)
        await self._listen()
        self._task = asyncio.create_task(self._run(deliver), name="netalarm-pg-bus")

    async def _listen(self) -> None:
        self._conn = await asyncpg.connect(self._dsn, timeout=10)
        await self._conn.add_listener(CHANNEL, lambda *_args: self._wake.set())

    async def publish(self, session: AsyncSession, events: Sequence[Event]) -> None:
        if events:
            # Sent by PostgreSQL when the relay's transaction commits, never before.
            await session.execute(select(func.pg_notify(CHANNEL, str(events[-1].published_seq))))

    async def _run(self, deliver: Deliver) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_s)
            self._wake.clear()
            try:
                if self._conn is None or self._conn.is_closed():
                    await self._listen()
                await self._read(deliver)
            except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
                log.warning("PostgreSQL bus: %s; retrying", exc)
                self._conn = None

    async def _read(self, deliver: Deliver) -> None:
        """Deliver every row published after the last one seen, in publication order.
        Publication numbers are given out under one lock and committed in order, so
        reading past a number never skips a row that commits later."""
        while True:
            async with self._sessions() as session:
                rows = list(
                    await session.scalars(
                        select(OutboxEvent)
                        .where(OutboxEvent.published_seq > self._last)
                        .order_by(OutboxEvent.published_seq)
                        .limit(BATCH)
                    )
                )
            for row in rows:
                deliver(Event.from_row(row))
                self._last = row.published_seq or self._last
            if len(rows) < BATCH:
                return

    async def close(self) -> None:
        await tasks.cancel(self._task)
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()
