"""The outbox relay: committed rows go out in order, at least once, each marked once, and
several relays at once never publish a row twice."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.core import migrate
from netalarm.core.db import make_engine, make_sessionmaker, transaction
from netalarm.core.outbox import OutboxEvent
from netalarm.realtime.bus.memory import MemoryBus
from netalarm.realtime.bus.nats import NatsBus
from netalarm.realtime.events import Event
from netalarm.realtime.relay import Relay, relay_once
from tests.support import factories
from tests.support.factories import Tree
from tests.support.servers import free_port


async def _alarms(sessions: async_sessionmaker[AsyncSession], count: int) -> None:
    """`count` alarms, each committed on its own (one outbox row each)."""
    async with transaction(sessions) as session:
        tree = await factories.tree(session)
    for _ in range(count):
        async with transaction(sessions) as session:
            await factories.alarm(session, tree.city, Tree.A_POINT)


async def _rows(sessions: async_sessionmaker[AsyncSession]) -> list[OutboxEvent]:
    async with sessions() as session:
        return list(await session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq)))


async def _collector() -> tuple[MemoryBus, list[Event]]:
    bus, got = MemoryBus(), list[Event]()
    await bus.start(got.append)
    return bus, got


async def test_committed_rows_go_out_in_outbox_order_and_are_marked_once(
    own_database: async_sessionmaker[AsyncSession],
) -> None:
    await _alarms(own_database, 3)
    bus, got = await _collector()
    async with transaction(own_database) as session:
        assert await relay_once(session, bus) == 3
    async with transaction(own_database) as session:
        assert await relay_once(session, bus) == 0
    rows = await _rows(own_database)
    assert [e.id for e in got] == [r.id for r in rows]
    assert [r.published_seq for r in rows] == [1, 2, 3]
    assert all(r.published_at is not None for r in rows)
    assert all(e.type == "alarm_received" and e.centre_id is not None for e in got)


async def test_a_failed_publish_leaves_the_rows_for_the_next_relay(
    own_database: async_sessionmaker[AsyncSession],
) -> None:
    await _alarms(own_database, 2)
    unreachable = NatsBus(f"nats://127.0.0.1:{free_port()}/nowhere", connect_timeout_s=0.5)
    with pytest.raises(Exception):  # noqa: B017 - whatever the client raises, nothing may be marked
        async with transaction(own_database) as session:
            await relay_once(session, unreachable)
    assert all(r.published_seq is None for r in await _rows(own_database))
    bus, got = await _collector()
    assert await Relay(own_database, bus, poll_s=1).drain() == 2
    assert len(got) == 2


async def test_a_row_that_commits_late_is_published_after_what_committed_before_it(
    fresh_database: str,
) -> None:
    # Only PostgreSQL lets a later row commit first; SQLite runs one writer at a time.
    engine = make_engine(fresh_database)
    await migrate.upgrade(engine)
    sessions = make_sessionmaker(engine)
    try:
        async with transaction(sessions) as session:
            tree = await factories.tree(session)
        bus, got = await _collector()
        relay = Relay(sessions, bus, poll_s=1)
        async with transaction(sessions) as slow:
            early = await factories.alarm(slow, tree.city, Tree.A_POINT)
            async with transaction(sessions) as quick:
                late = await factories.alarm(quick, tree.city, Tree.B_POINT)
            assert await relay.drain() == 1
        assert await relay.drain() == 1
        assert [e.data["alarm_id"] for e in got] == [str(late.alarm.id), str(early.alarm.id)]
        first, second = await _rows(sessions)
        assert first.seq < second.seq and first.published_seq == 2 and second.published_seq == 1
    finally:
        await engine.dispose()


async def test_relays_of_several_processes_at_once_publish_each_row_exactly_once(
    own_database: async_sessionmaker[AsyncSession],
) -> None:
    await _alarms(own_database, 30)
    collectors = [await _collector() for _ in range(3)]
    relays = [Relay(own_database, bus, poll_s=1) for bus, _ in collectors]
    counts = await asyncio.gather(*(relay.drain() for relay in relays))
    published = [e.id for _, got in collectors for e in got]
    rows = await _rows(own_database)
    assert sum(counts) == 30 and sorted(published) == sorted(r.id for r in rows)
    assert sorted(r.published_seq or 0 for r in rows) == list(range(1, 31))
