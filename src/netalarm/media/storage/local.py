"""Media in a local folder: `uploads/<id>` while uploading, then the final key's path.

Bytes are fsync'ed before an append returns, so the offset the server reports is on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from netalarm.media.storage import BLOCK, Appended, State, Storage


class LocalStorage(Storage):
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def __repr__(self) -> str:
        return f"LocalStorage({self.root})"

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"key {key!r} leaves the media folder")
        return path

    def _staging(self, upload_id: str) -> Path:
        return self._path(f"uploads/{upload_id}")

    async def open(self) -> None:
        await asyncio.to_thread((self.root / "uploads").mkdir, parents=True, exist_ok=True)

    async def close(self) -> None:
        """Nothing to release: files are opened per call."""

    async def begin(self, upload_id: str, key: str) -> State:
        def create() -> None:
            path = self._staging(upload_id)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()

        await asyncio.to_thread(create)
        return {"key": key}

    async def append(
        self, upload_id: str, state: State, offset: int, chunks: AsyncIterator[bytes]
    ) -> Appended:
        file = await asyncio.to_thread(open, self._staging(upload_id), "r+b")
        written = 0
        try:
            # Bytes past `offset` come from a request the server died in: not acknowledged.
            await asyncio.to_thread(_truncate_and_seek, file, offset)
            buffer = bytearray()
            async for chunk in chunks:
                buffer += chunk
                if len(buffer) >= BLOCK:
                    await asyncio.to_thread(file.write, buffer)
                    written += len(buffer)
                    buffer = bytearray()
            if buffer:
                await asyncio.to_thread(file.write, buffer)
                written += len(buffer)
        finally:
            await asyncio.to_thread(_sync_and_close, file)
        return Appended(state, offset + written)

    async def rollback(self, upload_id: str, before: State, after: State, offset: int) -> None:
        await asyncio.to_thread(os.truncate, self._staging(upload_id), offset)

    async def settle(self, before: State, after: State) -> None:
        """Nothing to drop: an append only ever extends the one staging file."""

    async def finish(self, upload_id: str, state: State) -> None:
        def move() -> None:
            target = self._path(state["key"])
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._staging(upload_id), target)

        await asyncio.to_thread(move)

    async def abort(self, upload_id: str, state: State) -> None:
        await asyncio.to_thread(self._staging(upload_id).unlink, missing_ok=True)

    async def sweep_staging(self, prefix: str, before: datetime) -> int:
        def sweep() -> int:
            removed = 0
            for path in (self.root / "uploads").glob(f"{glob.escape(prefix)}*"):
                with contextlib.suppress(FileNotFoundError):  # finished or swept meanwhile
                    if path.is_file() and path.stat().st_mtime < before.timestamp():
                        path.unlink()
                        removed += 1
            return removed

        return await asyncio.to_thread(sweep)

    async def put(self, key: str, data: bytes) -> None:
        def write() -> None:
            path = self._path(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)

        await asyncio.to_thread(write)

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        file = await asyncio.to_thread(open, self._path(key), "rb")
        try:
            await asyncio.to_thread(file.seek, start)
            left = None if end is None else max(0, end - start)
            while left is None or left > 0:
                block = await asyncio.to_thread(file.read, BLOCK if left is None else min(BLOCK, left))
                if not block:
                    break
                if left is not None:
                    left -= len(block)
                yield block
        finally:
            await asyncio.to_thread(file.close)

    async def size(self, key: str) -> int | None:
        path = self._path(key)
        try:
            return (await asyncio.to_thread(path.stat)).st_size
        except FileNotFoundError:
            return None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def keys(self) -> list[str]:
        def walk() -> list[str]:
            if not self.root.exists():
                return []
            return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file())

        return await asyncio.to_thread(walk)

    @asynccontextmanager
    async def tool_input(self, key: str) -> AsyncIterator[str]:
        yield str(self._path(key))

    @asynccontextmanager
    async def local_copy(self, key: str) -> AsyncIterator[Path]:
        yield self._path(key)


def _truncate_and_seek(file: BinaryIO, offset: int) -> None:
    file.truncate(offset)
    file.seek(offset)


def _sync_and_close(file: BinaryIO) -> None:
    try:
        file.flush()
        os.fsync(file.fileno())
    finally:
        file.close()
