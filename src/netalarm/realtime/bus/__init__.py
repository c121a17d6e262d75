"""The event bus: how events published by any server process reach the hubs of every one.

Three back ends, chosen by `NETALARM_BUS_URL`:
- '' or `memory://`: in-process; one server process (the embedded default).
- `postgresql://…` (the database that holds the outbox): LISTEN/NOTIFY wakes each process,
  which then reads newly published outbox rows; the table is the truth.
- `nats://host:port[/name]`: a NATS JetStream stream (`name`, default `netalarm`).

Publication is at-least-once: a consumer may see an event twice and drops it by id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.core.errors import Invalid
from netalarm.realtime.events import Event

Deliver = Callable[[Event], None]


class Bus(Protocol):
    """Carries published events between server processes."""

    name: str

    async def start(self, deliver: Deliver) -> None:
        """Begin passing every event published from now on, by any process, to `deliver`."""

    async def publish(self, session: AsyncSession, events: Sequence[Event]) -> None:
        """Publish `events` in order. Called by the relay inside the transaction that marks
        them published; raising rolls that back, so the rows are published again later."""

    async def close(self) -> None:
        """Stop delivering and release connections."""


def make_bus(url: str, *, sessions: async_sessionmaker[AsyncSession], database_url: str) -> Bus:
    """The back end named by `url` (see the module docstring); `Invalid` for anything else."""
    scheme = url.partition("://")[0].lower() if url else "memory"
    if scheme == "memory":
        from netalarm.realtime.bus.memory import MemoryBus

        return MemoryBus()
    if scheme in ("postgresql", "postgres", "postgresql+asyncpg"):
        if not database_url.startswith("postgresql"):
            raise Invalid("the PostgreSQL bus needs the database on PostgreSQL too", field="bus_url")
        from netalarm.realtime.bus.postgres import PostgresBus

        return PostgresBus(url.replace("postgresql+asyncpg://", "postgresql://"), sessions)
    if scheme == "nats":
        from netalarm.realtime.bus.nats import NatsBus

        return NatsBus(url)
    raise Invalid("bus_url must be empty, memory://, postgresql://… or nats://…", field="bus_url")
