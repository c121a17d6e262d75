"""What the two kinds of server-to-server traffic share — the intranet's 110 link puller and
the sender to the superior: one JSON request to the other server with its failure said in
words, and the loop that runs a round every few seconds and keeps the state seats are shown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import httpx

from netalarm.core.clock import iso, utcnow

log = logging.getLogger(__name__)


# Why a round failed, as a seat's console says it in its own language: the other server could
# not be reached, it refused a request (4xx/5xx), or something else went wrong here.
UNREACHABLE: Final = "unreachable"
REFUSED: Final = "refused"
FAILED: Final = "failed"


class PeerError(Exception):
    """The other server could not be reached (`kind` UNREACHABLE), or refused a request
    (REFUSED, with its HTTP `status`, and `error` the `error` object of its JSON body, empty if
    it has none)."""

    def __init__(
        self,
        message: str,
        *,
        kind: str = UNREACHABLE,
        status: int | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
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
        raise refused(f"{method} {path}", answer.status_code, answer.text, error=_error_of(answer))
    result: dict[str, Any] = answer.json()
    return result


def refused(request: str, status: int, text: str, *, error: dict[str, Any] | None = None) -> PeerError:
    """The other server's refusal of `request` ("GET /path") with `status` and its answer."""
    return PeerError(f"{request} answered {status}: {text[:300]}", kind=REFUSED, status=status, error=error)


def _error_of(answer: httpx.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


@dataclass
class PeerState:
    """When a round last went through, and why the last one did not (None once one does):
    the words of the error, its kind (`UNREACHABLE`, `REFUSED`, `FAILED`) and HTTP status, and
    since when the rounds fail (the first failure after the last success)."""

    last_contact_at: datetime | None = None
    last_error: str | None = None
    error_kind: str | None = None
    error_status: int | None = None
    down_since: datetime | None = None

    def status(self) -> dict[str, Any]:
        return {
            "last_contact_at": iso(self.last_contact_at),
            "last_error": self.last_error,
            "error_kind": self.error_kind,
            "error_status": self.error_status,
            "down_since": iso(self.down_since),
        }

    def status_with(self, files: PeerState | None) -> dict[str, Any]:
        """The status, or while these rounds go through, that of the `files` rounds beside
        them (their error said as one about files)."""
        status = self.status()
        if status["last_error"] is None and files is not None and files.last_error:
            status.update(files.status(), last_contact_at=status["last_contact_at"])
            status["last_error"] = f"files: {files.last_error}"
        return status

    def went_through(self) -> None:
        self.last_contact_at, self.down_since = utcnow(), None
        self.last_error = self.error_kind = self.error_status = None

    def failed(self, exc: Exception) -> None:
        if isinstance(exc, PeerError):
            self.last_error, self.error_kind, self.error_status = str(exc), exc.kind, exc.status
        else:
            self.last_error, self.error_kind, self.error_status = f"{type(exc).__name__}: {exc}", FAILED, None
        self.down_since = self.down_since or utcnow()

    async def keep_running(
        self, round: Callable[[], Awaitable[object]], *, every_s: float, name: str
    ) -> None:
        """Run `round` every `every_s` seconds until cancelled; a failed round (the other
        server or the database down) is kept as `last_error` and tried again next time."""
        while True:
            try:
                await round()
                self.went_through()
            except Exception as exc:  # keep why, try again on the next round
                self.failed(exc)
                log.warning("%s: %s", name, self.last_error)
            await asyncio.sleep(every_s)
