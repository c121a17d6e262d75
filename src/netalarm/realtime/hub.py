"""The per-process hub: fans events from the bus out to connected push clients.

Clients subscribe by centre (a seat: its centre and every centre below it) or by alarm
(a reporter). Each client has a bounded queue; a client that falls `queue_size` events
behind is marked slow and disconnected, so one stalled connection cannot grow memory.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict, deque
from collections.abc import Iterable
from typing import Any

from netalarm.realtime.events import Event, for_reporter

RECENT = 2_000
SEEN = 20_000


class Client:
    """One push connection: what it may see and the events waiting to be sent to it."""

    def __init__(
        self,
        *,
        queue_size: int,
        centre_ids: Iterable[uuid.UUID] = (),
        alarm_id: uuid.UUID | None = None,
        actor: str = "",
    ) -> None:
        self.centre_ids = frozenset(centre_ids)
        self.alarm_id = alarm_id
        self.actor = actor
        # Events to send; None asks for a heartbeat (see `stream.Pacemaker`).
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=queue_size)
        self.slow = asyncio.Event()

    @property
    def side(self) -> str:
        return "reporter" if self.alarm_id is not None else "seat"

    def view(self, event: Event) -> dict[str, Any] | None:
        """The frame this client receives for `event`, or None if it is not for it."""
        if self.alarm_id is not None:
            return for_reporter(event, self.alarm_id)
        # Every seat sees the same frame: one dict (and one JSON text) per event, shared.
        return event.seat_frame if event.centre_id in self.centre_ids else None

    def offer(self, event: Event) -> None:
        if self.slow.is_set():
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.slow.set()


class Hub:
    def __init__(self) -> None:
        self._by_centre: dict[uuid.UUID, set[Client]] = {}
        self._by_alarm: dict[uuid.UUID, set[Client]] = {}
        self._recent: deque[Event] = deque(maxlen=RECENT)
        self._seen: OrderedDict[uuid.UUID, None] = OrderedDict()
        self.delivered = 0

    def register(self, client: Client) -> None:
        for key, index in self._keys(client):
            index.setdefault(key, set()).add(client)

    def unregister(self, client: Client) -> None:
        for key, index in self._keys(client):
            members = index.get(key)
            if members is not None:
                members.discard(client)
                if not members:
                    del index[key]

    def _keys(self, client: Client) -> list[tuple[uuid.UUID, dict[uuid.UUID, set[Client]]]]:
        if client.alarm_id is not None:
            return [(client.alarm_id, self._by_alarm)]
        return [(centre_id, self._by_centre) for centre_id in client.centre_ids]

    @property
    def clients(self) -> int:
        return len({c for members in (*self._by_centre.values(), *self._by_alarm.values()) for c in members})

    def dispatch(self, event: Event) -> None:
        """Hand `event` to every client it concerns, once: a duplicate id (the bus is
        at-least-once) is dropped here."""
        if event.id in self._seen:
            return
        self._seen[event.id] = None
        if len(self._seen) > SEEN:
            self._seen.popitem(last=False)
        self._recent.append(event)
        self.delivered += 1
        targets: set[Client] = set(self._by_centre.get(event.centre_id, ())) if event.centre_id else set()
        for alarm_id in event.alarm_ids:
            targets.update(self._by_alarm.get(alarm_id, ()))
        for client in targets:
            client.offer(event)

    def recent_after(self, published_seq: int) -> list[Event]:
        """Events this process has dispatched with a later publication number, oldest first.
        They bridge the moment between publishing and the commit that records it."""
        later = (e for e in self._recent if e.published_seq > published_seq)
        return sorted(later, key=lambda e: e.published_seq)
