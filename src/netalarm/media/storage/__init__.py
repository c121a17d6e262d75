"""Where media bytes live: one interface, two back ends chosen by `NETALARM_MEDIA_URL`.

An upload is appended to in pieces (one per tus PATCH) and then finished into its final
key. `append` never destroys what the state it was given refers to, so a caller can still
`rollback` (a checksum mismatch) or `settle` (the new state is committed) afterwards.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

State = dict[str, Any]
# Reads and writes move this much at a time: large enough for throughput, small enough
# that memory stays flat however large the file.
BLOCK = 1024 * 1024


@dataclass(frozen=True)
class Appended:
    state: State
    offset: int


class Storage(ABC):
    """A store of immutable objects under string keys, plus resumable uploads into them."""

    @abstractmethod
    async def open(self) -> None:
        """Prepare the store (create the folder or bucket if missing)."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""

    @abstractmethod
    async def begin(self, upload_id: str, key: str) -> State:
        """Start an upload that will become `key`; returns its initial state."""

    @abstractmethod
    async def append(
        self, upload_id: str, state: State, offset: int, chunks: AsyncIterator[bytes]
    ) -> Appended:
        """Store `chunks` after the first `offset` bytes (anything stored beyond `offset`
        by an earlier, interrupted request is dropped first). Stores everything the
        iterator yields, even if it ends early, and returns the new state and offset."""

    @abstractmethod
    async def rollback(self, upload_id: str, before: State, after: State, offset: int) -> None:
        """Undo an `append`: back to `before`, at `offset` bytes."""

    @abstractmethod
    async def settle(self, before: State, after: State) -> None:
        """`after` is committed: drop what only `before` needed."""

    @abstractmethod
    async def finish(self, upload_id: str, state: State) -> None:
        """Turn the complete upload into its key, readable by `read`."""

    @abstractmethod
    async def abort(self, upload_id: str, state: State) -> None:
        """Delete an unfinished upload and everything it stored."""

    @abstractmethod
    async def sweep_staging(self, prefix: str, before: datetime) -> int:
        """Delete what unfinished uploads whose id starts with `prefix` stored, where it was
        last written before `before`: the leftovers of a process that died mid-upload, for
        uploads no database row remembers. Returns how many were deleted. On S3 the parts
        such an upload had already sent stay in its multipart upload until the bucket's rule
        for incomplete multipart uploads removes them (only the tail is an object)."""

    @abstractmethod
    async def put(self, key: str, data: bytes) -> None:
        """Store a small object (a preview) in one go."""

    @abstractmethod
    def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """The bytes `[start, end)` of an object, in blocks."""

    @abstractmethod
    async def size(self, key: str) -> int | None:
        """The size of an object, None if there is none."""

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Remove an object; removing a missing one is no error."""

    @abstractmethod
    async def keys(self) -> list[str]:
        """Everything stored, unfinished uploads included (for sweeps and tests)."""

    @abstractmethod
    def tool_input(self, key: str) -> AbstractAsyncContextManager[str]:
        """A path or URL that ffmpeg/ffprobe can read the object from, valid in the block."""

    @abstractmethod
    def local_copy(self, key: str) -> AbstractAsyncContextManager[Path]:
        """A local file with the object's bytes, valid in the block."""

    async def head(self, key: str, count: int) -> bytes:
        """The first `count` bytes (fewer if the object is shorter)."""
        out = bytearray()
        async for block in self.read(key, 0, count):
            out += block
        return bytes(out)


def from_url(url: str, data_dir: Path) -> Storage:
    """The back end for a `NETALARM_MEDIA_URL`: '' → folder `data_dir/media`; `file:///path`
    → that folder; `s3://bucket/prefix?endpoint_url=…&region=…` → S3-compatible storage
    (credentials from the usual AWS_* variables)."""
    from netalarm.media.storage.local import LocalStorage

    if not url:
        return LocalStorage(data_dir / "media")
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalStorage(Path(parts.path))
    if parts.scheme == "s3":
        from netalarm.media.storage.s3 import S3Storage

        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if not parts.netloc:
            raise ValueError("NETALARM_MEDIA_URL: s3:// needs a bucket name")
        return S3Storage(
            bucket=parts.netloc,
            prefix=parts.path.strip("/"),
            endpoint_url=query.get("endpoint_url") or None,
            region=query.get("region") or None,
        )
    raise ValueError(f"NETALARM_MEDIA_URL: unknown scheme {parts.scheme!r} (file:// or s3://)")
