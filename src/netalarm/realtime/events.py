"""Events as they travel: built from committed outbox rows, routed by centre and alarm,
and shown to seats in full and to reporters through a narrow projection."""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import orjson
from sqlalchemy import Row

from netalarm.core.clock import iso
from netalarm.core.outbox import OutboxEvent


@dataclass(frozen=True)
class Event:
    """One published event. `published_seq` is its place in the publication order;
    `centre_id` and `alarm_ids` decide who receives it and never leave the server."""

    id: uuid.UUID
    published_seq: int
    type: str
    at: datetime
    incident_id: uuid.UUID | None
    centre_id: uuid.UUID | None
    alarm_ids: tuple[uuid.UUID, ...] = field(default_factory=tuple)
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: OutboxEvent | Row[Any]) -> Event:
        """The event of a published outbox row (an ORM object or a Core row of the table)."""
        if row.published_seq is None:
            raise ValueError("an outbox row becomes an event only once it has a publication order")
        return cls(
            id=row.id,
            published_seq=row.published_seq,
            type=row.type,
            at=row.at,
            incident_id=row.incident_id,
            centre_id=row.centre_id,
            alarm_ids=tuple(uuid.UUID(a) for a in row.alarm_ids),
            data=dict(row.data),
        )

    def encode(self) -> bytes:
        """The event as one item of a bus payload (all routing fields included)."""
        return orjson.dumps(self._doc())

    def _doc(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "published_seq": self.published_seq,
            "type": self.type,
            "at": iso(self.at),
            "incident_id": str(self.incident_id) if self.incident_id else None,
            "centre_id": str(self.centre_id) if self.centre_id else None,
            "alarm_ids": [str(a) for a in self.alarm_ids],
            "data": self.data,
        }

    @classmethod
    def _from_doc(cls, doc: dict[str, Any]) -> Event:
        return cls(
            id=uuid.UUID(doc["id"]),
            published_seq=int(doc["published_seq"]),
            type=doc["type"],
            at=datetime.fromisoformat(doc["at"].replace("Z", "+00:00")),
            incident_id=uuid.UUID(doc["incident_id"]) if doc["incident_id"] else None,
            centre_id=uuid.UUID(doc["centre_id"]) if doc["centre_id"] else None,
            alarm_ids=tuple(uuid.UUID(a) for a in doc["alarm_ids"]),
            data=doc["data"],
        )

    def wire(self, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """The shape DESIGN.md promises clients: `{id, type, at, incident_id, data}`."""
        return {
            "id": str(self.id),
            "type": self.type,
            "at": iso(self.at),
            "incident_id": str(self.incident_id) if self.incident_id else None,
            "data": self.data if data is None else data,
        }

    @cached_property
    def seat_frame(self) -> dict[str, Any]:
        """`wire()` as every seat receives it, made once per event and shared by all the
        seats' connections: read it, never change it."""
        return self.wire()

    @cached_property
    def seat_text(self) -> str:
        """`seat_frame` as JSON text, serialised once per event rather than once per socket."""
        return orjson.dumps(self.seat_frame).decode()


def encode_batches(events: Sequence[Event], max_bytes: int) -> Iterator[tuple[Sequence[Event], bytes]]:
    """The events as few payloads as possible, in order, each under `max_bytes` (an event
    bigger than that alone travels alone): one bus message per relay batch, normally."""
    start, size = 0, 2
    parts: list[bytes] = []
    for index, event in enumerate(events):
        part = event.encode()
        if parts and size + len(part) + 1 > max_bytes:
            yield events[start:index], b"[" + b",".join(parts) + b"]"
            start, parts, size = index, [], 2
        parts.append(part)
        size += len(part) + 1
    if parts:
        yield events[start:], b"[" + b",".join(parts) + b"]"


def decode_batch(payload: bytes) -> list[Event]:
    """The events of a payload made by `encode_batches`, in order."""
    return [Event._from_doc(d) for d in orjson.loads(payload)]


class RecentIds:
    """The last `size` event ids seen, to drop a repeat cheaply (a relay retrying a batch)."""

    def __init__(self, size: int = 20_000) -> None:
        self._order: deque[uuid.UUID] = deque()
        self._seen: set[uuid.UUID] = set()
        self._size = size

    def first_time(self, event_id: uuid.UUID) -> bool:
        if event_id in self._seen:
            return False
        self._seen.add(event_id)
        self._order.append(event_id)
        if len(self._order) > self._size:
            self._seen.discard(self._order.popleft())
        return True


# What a reporter learns of each timeline event type: the status it leads to. Seat notes,
# outcomes, identity reads and SLA alerts are the seats' business and never reach them.
REPORTER_STATUS = {
    "accepted": "accepted",
    "dispatched": "dispatched",
    "forwarded_110": "dispatched",
    "resolved": "resolved",
    "closed": "closed",
    "received_by_transfer": "received",
    "escalated": "received",
}
RECEIPT_TYPES = ("message_delivered", "message_read")


def for_reporter(event: Event, alarm_id: uuid.UUID) -> dict[str, Any] | None:
    """The event as the reporter of `alarm_id` may see it, or None if it is not for them."""
    if alarm_id not in event.alarm_ids:
        return None
    if event.type in REPORTER_STATUS:
        data: dict[str, Any] = {"status": REPORTER_STATUS[event.type]}
        if event.type == "closed":
            data["disposition"] = event.data.get("disposition")
        return event.wire(data)
    if event.type == "message":
        message = dict(event.data.get("message") or {})
        if message.get("alarm_id") != str(alarm_id):
            return None
        message.pop("seat", None)
        return event.wire({"message": message})
    if event.type in RECEIPT_TYPES and event.data.get("alarm_id") == str(alarm_id):
        keys = ("message_id", "alarm_id", "by", "at")
        return event.wire({k: event.data.get(k) for k in keys})
    if event.type == "messages_read":
        return event.wire({k: event.data.get(k) for k in ("by", "message_ids", "read_at")})
    if event.type == "withdrawn" and event.data.get("alarm_id") == str(alarm_id):
        return event.wire({"reason": event.data.get("reason")})
    if event.type == "merged":
        # The reporter's alarm went on with another case: its number is theirs from now on.
        return event.wire({"into_case_number": event.data.get("into_case_number")})
    return None
