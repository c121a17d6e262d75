"""The hub and the frame stream: each event reaches the clients it concerns, once; a client
that stops reading is cut off instead of buffered without bound; reporters see a narrow
view; an idle connection gets heartbeats."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import orjson
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from netalarm.core.clock import utcnow
from netalarm.realtime import stream
from netalarm.realtime.events import Event
from netalarm.realtime.hub import Client, Hub

CITY, DISTRICT, OTHER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
ALARM = uuid.uuid4()


def _event(type: str, centre: uuid.UUID = DISTRICT, seq: int = 1, **data: Any) -> Event:
    return Event(uuid.uuid4(), seq, type, utcnow(), uuid.uuid4(), centre, (ALARM,), data)


def test_an_event_reaches_the_seats_of_its_centre_and_above_and_its_reporter() -> None:
    hub = Hub()
    city = Client(queue_size=10, centre_ids=[CITY, DISTRICT])
    district = Client(queue_size=10, centre_ids=[DISTRICT])
    other = Client(queue_size=10, centre_ids=[OTHER])
    reporter = Client(queue_size=10, alarm_id=ALARM)
    for client in (city, district, other, reporter):
        hub.register(client)
    hub.dispatch(_event("accepted", seat="a.net"))
    assert [c.queue.qsize() for c in (city, district, other, reporter)] == [1, 1, 0, 1]
    hub.unregister(city)
    hub.dispatch(_event("dispatched", note="car 7"))
    assert city.queue.qsize() == 1 and district.queue.qsize() == 2


def test_every_seat_gets_one_shared_frame_per_event_serialised_once() -> None:
    event = _event("accepted", seat="a.net", note="车 7")
    city = Client(queue_size=10, centre_ids=[CITY, DISTRICT])
    district = Client(queue_size=10, centre_ids=[DISTRICT])
    shown = city.view(event)
    assert shown == event.wire() and shown is district.view(event)
    assert shown is not None and orjson.loads(stream.text(shown, event)) == event.wire()
    assert stream.text(shown, event) is stream.text(shown, event)  # made once, then reused
    reporter_view = Client(queue_size=10, alarm_id=ALARM).view(event)
    assert reporter_view is not None
    assert orjson.loads(stream.text(reporter_view, event)) == {**event.wire(), "data": {"status": "accepted"}}


def test_a_duplicate_event_id_is_dropped() -> None:
    hub = Hub()
    seat = Client(queue_size=10, centre_ids=[DISTRICT])
    hub.register(seat)
    event = _event("accepted")
    hub.dispatch(event)
    hub.dispatch(event)
    assert seat.queue.qsize() == 1 and hub.delivered == 1


def test_a_client_that_falls_behind_its_queue_is_marked_slow_and_gets_nothing_more() -> None:
    hub = Hub()
    slow = Client(queue_size=3, centre_ids=[DISTRICT])
    hub.register(slow)
    for seq in range(1, 4):
        hub.dispatch(_event("location", seq=seq))
    assert not slow.slow.is_set()
    hub.dispatch(_event("location", seq=4))
    assert slow.slow.is_set() and slow.queue.qsize() == 3
    hub.dispatch(_event("location", seq=5))
    assert slow.queue.qsize() == 3


def test_a_reporter_sees_status_and_chat_but_not_what_belongs_to_seats() -> None:
    reporter = Client(queue_size=10, alarm_id=ALARM)
    message = {"id": "m1", "alarm_id": str(ALARM), "from": "seat", "seat": "a.net", "text": "hello"}
    assert reporter.view(_event("dispatched", note="car 7, plate Y123"))["data"] == {"status": "dispatched"}  # type: ignore[index]
    assert reporter.view(_event("closed", disposition="handled"))["data"] == {  # type: ignore[index]
        "status": "closed",
        "disposition": "handled",
    }
    shown = reporter.view(_event("message", message=message))
    assert shown is not None and "seat" not in shown["data"]["message"]
    for hidden in ("identity_viewed", "sla_alert", "classified", "location", "alarm_received", "seat_note"):
        assert reporter.view(_event(hidden)) is None
    to_someone_else = {**message, "alarm_id": str(uuid.uuid4())}
    assert reporter.view(_event("message", message=to_someone_else)) is None


def test_recent_events_bridge_a_reconnect_in_publication_order() -> None:
    hub = Hub()
    events = [_event("location", seq=seq) for seq in (3, 1, 2)]
    for event in events:
        hub.dispatch(event)
    assert [e.published_seq for e in hub.recent_after(1)] == [2, 3]


async def test_an_idle_connection_gets_heartbeats_and_a_slow_one_is_ended() -> None:
    hub = Hub()
    client = Client(queue_size=1, centre_ids=[DISTRICT])
    # No cursor, so the stream never reads the database.
    frames = stream.frames(hub, async_sessionmaker(), client, None, heartbeat_s=0.05)
    async with contextlib.aclosing(frames):
        assert (await anext(frames))[0][0]["type"] == "hello"
        assert (await anext(frames))[0][0]["type"] == "heartbeat"
        assert hub.clients == 1
        event = _event("accepted")
        hub.dispatch(event)
        assert await anext(frames) == [(event.wire(), event)]
        hub.dispatch(_event("dispatched", seq=2))
        hub.dispatch(_event("resolved", seq=3))
        assert client.slow.is_set()
        with pytest.raises(StopAsyncIteration):
            await anext(frames)
    assert hub.clients == 0


async def test_a_heartbeat_comes_only_after_a_whole_interval_without_frames() -> None:
    hub = Hub()
    client = Client(queue_size=10, centre_ids=[DISTRICT])
    frames = stream.frames(hub, async_sessionmaker(), client, None, heartbeat_s=0.2)
    loop = asyncio.get_running_loop()
    async with contextlib.aclosing(frames):
        await anext(frames)  # hello
        # An event every 0.08 s for 0.8 s: the connection is never idle for 0.2 s.
        for seq in range(1, 11):
            await asyncio.sleep(0.08)
            hub.dispatch(_event("location", seq=seq))
            assert (await anext(frames))[0][0]["type"] == "location"
        last = loop.time()
        assert (await anext(frames))[0][0]["type"] == "heartbeat"
        assert 0.19 <= loop.time() - last < 0.35
        before = loop.time()
        assert (await anext(frames))[0][0]["type"] == "heartbeat"
        assert 0.19 <= loop.time() - before < 0.35


async def test_connections_opened_together_do_not_beat_in_step() -> None:
    hub = Hub()
    interval = 0.4
    loop = asyncio.get_running_loop()
    clients = [Client(queue_size=10, centre_ids=[DISTRICT]) for _ in range(20)]
    streams = [stream.frames(hub, async_sessionmaker(), c, None, heartbeat_s=interval) for c in clients]
    opened = loop.time()
    for frames in streams:
        await anext(frames)  # hello: all at once

    async def first_beat(frames: Any) -> float:
        assert (await anext(frames))[0][0]["type"] == "heartbeat"
        return loop.time() - opened

    beats = await asyncio.gather(*(first_beat(frames) for frames in streams))
    for frames in streams:
        await frames.aclose()
    # Each not before half its interval and about within it (a busy machine runs timers late),
    # and spread over that half.
    assert all(interval * (1 - stream.HEARTBEAT_SPREAD) - 0.01 <= b <= interval + 0.3 for b in beats)
    assert max(beats) - min(beats) > interval * stream.HEARTBEAT_SPREAD / 4


async def test_events_ready_together_come_as_one_batch_in_order() -> None:
    hub = Hub()
    client = Client(queue_size=500, centre_ids=[DISTRICT])
    frames = stream.frames(hub, async_sessionmaker(), client, None, heartbeat_s=5)
    async with contextlib.aclosing(frames):
        await anext(frames)  # hello
        burst = [_event("location", seq=seq) for seq in range(1, 251)]
        for event in burst:
            hub.dispatch(event)
        hub.dispatch(burst[0])  # a repeat is dropped
        batches = [await anext(frames) for _ in range(3)]
        assert [len(b) for b in batches] == [stream.BATCH_MAX, stream.BATCH_MAX, 50]
        assert [e for b in batches for _, e in b] == burst
        later = _event("accepted", seq=251)
        hub.dispatch(later)
        assert await anext(frames) == [(later.wire(), later)]
