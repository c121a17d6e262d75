"""What the two kinds of server-to-server traffic share — the intranet's 110 link puller and
the sender to the superior: one JSON request to the other server with its failure said in
words, and the loop that runs a round every few seconds and keeps the state seats are shown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from netalarm.core.clock import iso, utcnow

log = logging.getLogger(__name__)


class PeerError(Exception):
    """The other server could not be reached, or refused a request: then `status` is its
    answer's status and `error` the `error` object of its JSON body (empty if it has none)."""

    def __init__(
        self, message: str, *, status: int | None = None, error: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error or {}


async def call(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    who: str,
    json: Any = None,
    content: bytes | AsyncIterator[bytes] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The JSON answer of `who` to one request; `PeerError` saying why there is none."""
    try:
        answer = await client.request(method, path, json=json, content=content, headers=headers)
    except httpx.HTTPError as exc:
        raise PeerError(f"{who} is unreachable: {type(exc).__name__}: {exc}") from exc
    if not answer.is_success:
        raise PeerError(
            f"{method} {path} answered {answer.status_code}: {answer.text[:300]}",
            status=answer.status_code,
            error=_error_of(answer),
        )
    result: dict[str, Any] = answer.json()
    return result


def _error_of(answer: httpx.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


@dataclass
class PeerState:
    """When a round last went through, and why the last one did not (None once one does)."""

    last_contact_at: datetime | None = None
    last_error: str | None = None

    def status(self) -> dict[str, Any]:
        return {"last_contact_at": iso(self.last_contact_at), "last_error": self.last_error}

    async def keep_running(
        self, round: Callable[[], Awaitable[object]], *, every_s: float, name: str
    ) -> None:
        """Run `round` every `every_s` seconds until cancelled; a failed round (the other
        server or the database down) is kept as `last_error` and tried again next time."""
        while True:
            try:
                await round()
                self.last_contact_at, self.last_error = utcnow(), None
            except Exception as exc:  # keep why, try again on the next round
                self.last_error = str(exc) if isinstance(exc, PeerError) else f"{type(exc).__name__}: {exc}"
                log.warning("%s: %s", name, self.last_error)
            await asyncio.sleep(every_s)
