"""The embedded SMS transport: each message becomes one JSON line appended to a file, so a
demo (or a test) shows exactly what would have been sent."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import orjson

from netalarm.channels.sms.transport import Outgoing, Retryable
from netalarm.core.clock import iso, utcnow


class FileTransport:
    name = "file"

    def __init__(self, path: Path) -> None:
        self.path = path

    def _append(self, line: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One write on an O_APPEND descriptor: lines of several server processes never mix.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    async def send(self, message: Outgoing) -> None:
        """Append `{id, to, text, at}` as a line; a full or unwritable disk is retryable."""
        record = {"id": str(message.id), "to": message.to, "text": message.text, "at": iso(utcnow())}
        try:
            await asyncio.to_thread(self._append, orjson.dumps(record) + b"\n")
        except OSError as exc:
            raise Retryable(f"cannot write {self.path}: {exc.strerror or exc}") from exc

    async def close(self) -> None:
        return None
