"""The bus back ends: every subscribed process receives what any one publishes, in order;
the choice of back end is checked when a server starts."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.core import migrate
from netalarm.core.clock import utcnow
from netalarm.core.db import make_engine, make_sessionmaker, transaction
from netalarm.core.errors import Invalid
from netalarm.realtime.bus import make_bus
from netalarm.realtime.bus.memory import MemoryBus
from netalarm.realtime.bus.nats import NatsBus, stream_name
from netalarm.realtime.bus.postgres import PostgresBus
from netalarm.realtime.events import Event, RecentIds, decode_batch, encode_batches
from netalarm.realtime.relay import Relay
from tests.support import factories
from tests.support.factories import Tree
from tests.support.servers import netalarm

# The NATS bus does not write to the relay's transaction.
NO_SESSION = cast(AsyncSession, None)


def _event(seq: int) -> Event:
    return Event(
        id=uuid.uuid4(),
        published_seq=seq,
        type="message",
        at=utcnow(),
        incident_id=uuid.uuid4(),
        centre_id=uuid.uuid4(),
        alarm_ids=(uuid.uuid4(),),
        data={"message": {"text": f"number {seq}"}},
    )


async def _until(condition: Callable[[], bool], within: float = 5) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "not delivered in time"
        await asyncio.sleep(0.02)


def test_an_event_survives_the_trip_over_the_wire_unchanged() -> None:
    event = _event(7)
    [(batch, payload)] = encode_batches([event], 1024)
    assert list(batch) == [event] and decode_batch(payload) == [event]


def test_a_batch_travels_in_order_in_as_few_payloads_as_fit_under_the_limit() -> None:
    events = [_event(n) for n in range(1, 51)]
    one_size = len(events[0].encode())
    payloads = list(encode_batches(events, max_bytes=one_size * 10))
    assert all(len(payload) <= one_size * 10 for _, payload in payloads)
    assert 5 <= len(payloads) <= 7
    assert [e for batch, _ in payloads for e in batch] == events
    assert [e for _, payload in payloads for e in decode_batch(payload)] == events
    assert [list(batch) for batch, _ in encode_batches(events[:3], max_bytes=10)] == [[e] for e in events[:3]]
    assert list(encode_batches([], max_bytes=1000)) == []


def test_recent_ids_let_each_id_through_once_and_forget_the_oldest() -> None:
    recent = RecentIds(size=2)
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert [recent.first_time(x) for x in (a, a, b, c, a)] == [True, False, True, True, True]


async def test_every_nats_subscriber_receives_each_event_in_order_and_a_repeat_once(nats_bus: str) -> None:
    first, second = NatsBus(nats_bus), NatsBus(nats_bus)
    got: tuple[list[Event], list[Event]] = ([], [])
    await first.start(got[0].append)
    await second.start(got[1].append)
    try:
        events = [_event(n) for n in range(1, 21)]
        await first.publish(NO_SESSION, events[:10])
        await second.publish(NO_SESSION, events[10:])
        await second.publish(NO_SESSION, events[:1])  # a relay retrying after a failed commit
        await _until(lambda: len(got[0]) >= 20 and len(got[1]) >= 20)
        await asyncio.sleep(0.2)
        assert got[0] == events and got[1] == events
    finally:
        await first.close()
        await second.close()


async def test_the_postgresql_bus_wakes_every_process_with_rows_from_the_table(fresh_database: str) -> None:
    engine = make_engine(fresh_database)
    await migrate.upgrade(engine)
    sessions = make_sessionmaker(engine)
    dsn = fresh_database.replace("postgresql+asyncpg://", "postgresql://")
    buses = [PostgresBus(dsn, sessions, poll_s=30) for _ in range(2)]
    got: tuple[list[Event], list[Event]] = ([], [])
    try:
        for bus, sink in zip(buses, got, strict=True):
            await bus.start(sink.append)
        async with transaction(sessions) as session:
            tree = await factories.tree(session)
        for _ in range(5):
            async with transaction(sessions) as session:
                await factories.alarm(session, tree.city, Tree.A_POINT)
        # The poll is 30 s: only the NOTIFY can deliver this quickly.
        assert await Relay(sessions, buses[0], poll_s=30).drain() == 5
        await _until(lambda: len(got[0]) == 5 and len(got[1]) == 5, within=3)
        assert got[0] == got[1]
        assert [e.published_seq for e in got[0]] == [1, 2, 3, 4, 5]
    finally:
        for bus in buses:
            await bus.close()
        await engine.dispose()


@pytest.mark.parametrize(
    ("url", "database_url", "kind"),
    [
        ("", "sqlite+aiosqlite:///x", MemoryBus),
        ("memory://", "sqlite+aiosqlite:///x", MemoryBus),
        ("postgresql://postgres@127.0.0.1/db", "postgresql+asyncpg://postgres@127.0.0.1/db", PostgresBus),
        ("nats://127.0.0.1:4222/netalarm", "sqlite+aiosqlite:///x", NatsBus),
    ],
)
def test_the_bus_url_chooses_the_back_end(url: str, database_url: str, kind: type) -> None:
    sessions = async_sessionmaker()
    assert isinstance(make_bus(url, sessions=sessions, database_url=database_url), kind)


@pytest.mark.parametrize(
    ("url", "database_url"),
    [
        ("redis://127.0.0.1", "sqlite+aiosqlite:///x"),
        ("postgresql://postgres@127.0.0.1/db", "sqlite+aiosqlite:///x"),
    ],
)
def test_a_bus_url_that_cannot_work_is_refused(url: str, database_url: str) -> None:
    with pytest.raises(Invalid) as refused:
        make_bus(url, sessions=async_sessionmaker(), database_url=database_url)
    assert refused.value.field == "bus_url"


def test_a_stream_name_is_taken_from_the_url_path() -> None:
    assert stream_name("nats://127.0.0.1:4222") == "netalarm"
    assert stream_name("nats://127.0.0.1:4222/city.440300") == "city_440300"


def test_several_workers_without_a_shared_bus_are_refused(tmp_path: Path) -> None:
    done = netalarm(["serve", "--workers", "2"], {"NETALARM_DATA_DIR": str(tmp_path), "NETALARM_BUS_URL": ""})
    assert done.returncode == 2
    assert "NETALARM_BUS_URL" in done.stderr
