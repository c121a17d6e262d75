"""The NATS JetStream bus: one stream; every process reads it through an ordered consumer
that starts at "new". Uses only what nats-server 2.9 offers (streams, ordered push
consumers, `Nats-Msg-Id` de-duplication).

A relay batch travels as one message: one JetStream acknowledgement per batch instead of
per event is what lets a busy server publish thousands of events a second. A batch
republished after a failed commit may be cut differently, so each subscriber also drops
event ids it has already delivered."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import nats
from nats.js.api import DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.realtime.bus import Deliver
from netalarm.realtime.events import Event, RecentIds, decode_batch, encode_batches

log = logging.getLogger(__name__)

# Replays come from the outbox table, so the stream only has to bridge processes.
MAX_AGE_S = 24 * 3600.0
DUPLICATE_WINDOW_S = 120.0
# Once connected the client reconnects for ever; the first connection must not wait so.
CONNECT_TIMEOUT_S = 5.0
PUBLISH_TIMEOUT_S = 5.0
# Well under nats-server's default max_payload of 1 MiB.
MAX_MESSAGE_BYTES = 512 * 1024


def stream_name(url: str) -> str:
    """`nats://host:port/name` → `name` (default `netalarm`), as a valid stream name."""
    name = urlsplit(url).path.strip("/") or "netalarm"
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


class NatsBus:
    name = "nats"

    def __init__(self, url: str, *, connect_timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        parts = urlsplit(url)
        self._server = f"nats://{parts.netloc or '127.0.0.1:4222'}"
        self.stream = stream_name(url)
        self.subject = f"{self.stream}.events"
        self._nc: Any = None
        self._js: Any = None
        self._sub: Any = None
        self._connect_timeout_s = connect_timeout_s

    async def connect(self) -> None:
        """Connect and make sure the stream exists (idempotent; several processes race here)."""
        self._nc = await asyncio.wait_for(
            nats.connect(self._server, name="netalarm", max_reconnect_attempts=-1, reconnect_time_wait=0.5),
            timeout=self._connect_timeout_s,
        )
        self._js = self._nc.jetstream()
        config = StreamConfig(
            name=self.stream,
            subjects=[self.subject],
            storage=StorageType.FILE,
            max_age=MAX_AGE_S,
            duplicate_window=DUPLICATE_WINDOW_S,
        )
        try:
            await self._js.stream_info(self.stream)
        except NotFoundError:
            await self._js.add_stream(config)

    async def start(self, deliver: Deliver) -> None:
        if self._js is None:
            await self.connect()

        recent = RecentIds()

        async def on_message(msg: Any) -> None:
            try:
                events = decode_batch(msg.data)
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("NATS bus: dropped a malformed message: %s", exc)
                return
            for event in events:
                if recent.first_time(event.id):
                    deliver(event)

        self._sub = await self._js.subscribe(
            self.subject, cb=on_message, ordered_consumer=True, deliver_policy=DeliverPolicy.NEW
        )

    async def publish(self, session: AsyncSession, events: Sequence[Event]) -> None:
        if self._js is None:
            await self.connect()
        for batch, payload in encode_batches(events, MAX_MESSAGE_BYTES):
            # The stream drops a re-publication of the very same batch inside its duplicate window.
            batch_id = hashlib.sha256(b"".join(event.id.bytes for event in batch)).hexdigest()
            await self._js.publish(
                self.subject, payload, timeout=PUBLISH_TIMEOUT_S, headers={"Nats-Msg-Id": batch_id}
            )

    async def close(self) -> None:
        if self._sub is not None:
            try:
                await self._sub.unsubscribe()
            except Exception as exc:  # closing must not fail on a connection already gone
                log.debug("NATS bus: unsubscribe: %s", exc)
        if self._nc is not None:
            await self._nc.close()
