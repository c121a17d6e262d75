"""The one small interface every SMS transport implements, and the choice of transport
from `NETALARM_SMS_URL`.

A transport's `send` either returns (the message left: sent) or raises `Retryable` (try
again later: the gateway is down, busy or slow) or `Permanent` (trying again cannot help:
the gateway refused the message). Anything else it raises counts as retryable.
`NETALARM_SMS_URL` picks one: see `worker.make_transport`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    """One SMS to send. `id` is the delivery's id: the same on every attempt, so a gateway
    can drop a repeat (a worker that died after sending and before recording it)."""

    id: uuid.UUID
    to: str
    text: str


class SendError(Exception):
    """A failed attempt; `retryable` says whether another attempt may succeed."""

    retryable = True


class Retryable(SendError):
    retryable = True


class Permanent(SendError):
    retryable = False


class Transport(Protocol):
    name: str

    async def send(self, message: Outgoing) -> None:
        """Hand the message over; raise `Retryable` or `Permanent` when it did not leave."""

    async def close(self) -> None:
        """Release connections; called once when the worker stops."""
