"""What a push connection sends, whatever carries it (WebSocket or server-sent events):
a `hello`, the events missed since a cursor, then live events and heartbeats.

Order and gaps: replayed events come from the outbox table in publication order; events
this process dispatched but whose publication has not committed yet come from the hub's
recent list; live events already sent during the replay are dropped by id."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import orjson
from sqlalchemy import Select, String, cast, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.core.clock import iso, utcnow
from netalarm.core.db import shielded
from netalarm.core.errors import DomainError, Invalid
from netalarm.core.outbox import OutboxEvent, last_published
from netalarm.messaging import receipts
from netalarm.messaging.models import Message
from netalarm.realtime.events import Event
from netalarm.realtime.hub import Client, Hub

log = logging.getLogger(__name__)

PAGE = 500
# The most frames one WebSocket message carries for a client that takes batches.
BATCH_MAX = 100
# How much earlier than asked the event loop may run a timer (libuv counts milliseconds).
TIMER_SLACK_S = 0.002
# The share of an interval by which a connection's first heartbeat may come early.
HEARTBEAT_SPREAD = 0.5
# How long a cursor whose event is committed but not yet marked published is waited for.
CURSOR_WAIT_S = 2.0


async def position(sessions: async_sessionmaker[AsyncSession], after: str | None) -> int | None:
    """The publication number of the cursor event `after` (None: no cursor). `Invalid` for
    an id that is malformed or names no event."""
    if not after:
        return None
    try:
        event_id = uuid.UUID(after)
    except ValueError as exc:
        raise Invalid("after must be an event id", field="after") from exc
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CURSOR_WAIT_S
    while True:
        async with sessions() as session:
            row = (
                await session.execute(select(OutboxEvent.published_seq).where(OutboxEvent.id == event_id))
            ).first()
            if row is None:
                raise Invalid("no event has that id", field="after", code="unknown_cursor")
            if row[0] is not None:
                return int(row[0])
            if loop.time() > deadline:
                # The client cannot have seen more than what is published now.
                return await last_published(session)
        await asyncio.sleep(0.05)


async def missed(
    sessions: async_sessionmaker[AsyncSession], client: Client, after: int
) -> AsyncIterator[Event]:
    """The client's events published after `after`, in publication order, from the table."""
    while True:
        query = (
            select(OutboxEvent)
            .where(OutboxEvent.published_seq > after)
            .order_by(OutboxEvent.published_seq)
            .limit(PAGE)
        )
        if client.alarm_id is not None:
            # A cheap pre-filter on both back ends; `Client.view` decides exactly.
            query = query.where(cast(OutboxEvent.alarm_ids, String).contains(str(client.alarm_id)))
        else:
            query = query.where(OutboxEvent.centre_id.in_(client.centre_ids))
        rows = await shielded(sessions, functools.partial(_rows, query=query))
        for row in rows:
            yield Event.from_row(row)
        if len(rows) < PAGE:
            return
        after = rows[-1].published_seq or after


async def _rows(session: AsyncSession, *, query: Select[OutboxEvent]) -> list[OutboxEvent]:
    return list(await session.scalars(query))


def text(frame: dict[str, Any], event: Event | None) -> str:
    """`frame` as JSON text; a seat's view of an event is serialised once per event."""
    if event is not None and frame is event.seat_frame:
        return event.seat_text
    return orjson.dumps(frame).decode()


def control(type: str, **data: Any) -> dict[str, Any]:
    """A frame that is not an event: it has no id and is never replayed."""
    return {"type": type, "at": iso(utcnow()), "data": data}


Frame = tuple[dict[str, Any], Event | None]


class Pacemaker:
    """Puts a heartbeat marker (None) in a connection's queue once nothing has been sent on
    it for `interval` seconds. One timer per connection, fired about once per interval
    whatever the traffic: a deadline around every wait for an event (a timer made and
    cancelled per event and connection) had cost a third of the alarm-to-seat p99."""

    def __init__(self, queue: asyncio.Queue[Event | None], interval: float) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue = queue
        self._interval = interval
        # The first heartbeat comes up to half an interval early, at random: connections opened
        # together (every console after a restart) then do not all beat in the same instant,
        # a wave of writes that delays whatever else the process is sending.
        self._last = self._loop.time() - interval * random.uniform(0, HEARTBEAT_SPREAD)
        self._handle = self._loop.call_at(self._last + interval, self._check)

    def sent(self) -> None:
        """Something went out on the connection just now."""
        self._last = self._loop.time()

    def stop(self) -> None:
        self._handle.cancel()

    def _check(self) -> None:
        now = self._loop.time()
        due = self._last + self._interval
        # A timer may fire a hair early: within the slack, the connection counts as idle.
        if now >= due - TIMER_SLACK_S:
            if self._queue.empty():
                self._queue.put_nowait(None)
            due = now + self._interval
        self._handle = self._loop.call_at(due, self._check)


async def frames(
    hub: Hub,
    sessions: async_sessionmaker[AsyncSession],
    client: Client,
    after: int | None,
    *,
    heartbeat_s: float,
) -> AsyncGenerator[list[Frame]]:
    """Lists of (frame, event it shows) pairs for one connection, until the client turns
    slow: each list is what is ready at once (up to `BATCH_MAX`), so a connection that
    takes batches can carry a burst in one message. The client is registered before the
    replay, so nothing falls between the two."""
    hub.register(client)
    try:
        yield [(control("hello", side=client.side, heartbeat_s=heartbeat_s), None)]
        sent: set[uuid.UUID] = set()
        if after is not None:
            replay: list[Frame] = []
            async for event in missed(sessions, client, after):
                sent.add(event.id)
                if (view := client.view(event)) is not None:
                    replay.append((view, event))
                if len(replay) >= BATCH_MAX:
                    yield replay
                    replay = []
            for event in hub.recent_after(after):
                if event.id not in sent and (view := client.view(event)) is not None:
                    sent.add(event.id)
                    replay.append((view, event))
            if replay:
                yield replay
        queue = client.queue
        pacemaker = Pacemaker(queue, heartbeat_s)
        try:
            while not client.slow.is_set():
                item = await queue.get()
                if item is None:
                    yield [(control("heartbeat"), None)]
                    pacemaker.sent()
                    continue
                batch: list[Frame] = []
                while True:
                    # A heartbeat asked for just before events came is not needed.
                    if item is not None and item.id not in sent and (view := client.view(item)) is not None:
                        batch.append((view, item))
                    if queue.empty() or len(batch) >= BATCH_MAX:
                        break
                    item = queue.get_nowait()
                if batch:
                    yield batch
                    pacemaker.sent()
        finally:
            pacemaker.stop()
    finally:
        hub.unregister(client)


async def acknowledge(sessions: async_sessionmaker[AsyncSession], client: Client, event: Event) -> None:
    """After a chat message from the other side was pushed to `client`: the delivered
    receipt (once, whichever process pushes first)."""
    message = event.data.get("message") or {}
    if event.type != "message" or message.get("from") == client.side or message.get("delivered_at"):
        return

    async def stamp(session: AsyncSession) -> None:
        found = await session.get(Message, uuid.UUID(message["id"]))
        if found is not None and found.delivered_at is None:
            await receipts.mark_delivered(session, found, by=client.side, actor=client.actor)

    try:
        await shielded(sessions, stamp)
    except DomainError as exc:
        log.info("delivered receipt not stamped: %s", exc.message)
