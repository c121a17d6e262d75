"""The media part of a server process: its storage back end, its limits, and the sweeper
that removes uploads left unfinished past their expiry and hand-overs a dead process left."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.core import tasks
from netalarm.core.clock import utcnow
from netalarm.core.db import transaction
from netalarm.core.errors import DomainError
from netalarm.core.settings import Settings
from netalarm.media import files, uploads
from netalarm.media.models import Upload
from netalarm.media.storage import Storage, from_url

if TYPE_CHECKING:
    from hashlib import _Hash as Hash

log = logging.getLogger(__name__)
# Each is a few hundred bytes; beyond this many uploads in flight, the oldest is read back.
MAX_HASHERS = 10_000


@dataclass
class MediaRuntime:
    storage: Storage
    limits: uploads.Limits
    sessions: async_sessionmaker[AsyncSession]
    sweeper: asyncio.Task[None] | None = field(default=None, repr=False)
    # Running SHA-256 of uploads this process received from their first byte on, so the PATCH
    # that completes one need not read the whole file back: upload id → (offset, hash).
    hashers: OrderedDict[uuid.UUID, tuple[int, Hash]] = field(default_factory=OrderedDict, repr=False)

    def take_hasher(self, upload_id: uuid.UUID, offset: int) -> Hash | None:
        """The running hash of an upload's first `offset` bytes, if this process has it."""
        kept = self.hashers.pop(upload_id, None)
        if offset == 0:
            return hashlib.sha256()
        return kept[1] if kept and kept[0] == offset else None

    def keep_hasher(self, upload_id: uuid.UUID, offset: int, hasher: Hash) -> None:
        self.hashers[upload_id] = (offset, hasher)
        while len(self.hashers) > MAX_HASHERS:
            self.hashers.popitem(last=False)

    async def complete_or_refuse(
        self, session: AsyncSession, upload: Upload, sha256: str | None = None
    ) -> None:
        """Complete a fully stored upload whose lease the caller holds, and commit; if it is
        refused, end it as `refused` (its bytes deleted), commit that, and re-raise."""
        try:
            await uploads.complete(session, self.storage, upload, sha256=sha256)
            await session.commit()
        except DomainError:
            await session.rollback()
            refused = await session.get(Upload, upload.id, populate_existing=True)
            if refused is not None:
                await uploads.end(session, self.storage, refused, "refused")
                await session.commit()
            raise

    async def sweep(self) -> int:
        """Complete uploads left whole but unfinished by a process that died, remove expired
        unfinished ones (bytes deleted, rows marked `expired`) and the stagings of files
        handed over by another server that a dead process left (`files.sweep_lost`); returns
        how many uploads and stagings this process ended. Safe to run in several processes
        at once. An upload that fails is logged and left for the next sweep; it does not
        hold up the others."""
        ended = 0
        try:
            ended += await files.sweep_lost(self.storage, utcnow())
        except Exception:
            log.exception("removing stagings left by dead processes failed")
        async with transaction(self.sessions) as session:
            stalled = await uploads.stalled(session, utcnow())
        for upload_id in stalled:
            try:
                ended += await self._complete_stalled(upload_id)
            except Exception:
                log.exception("completing stalled upload %s failed", upload_id)
        async with transaction(self.sessions) as session:
            ids = await uploads.expired(session, utcnow())
        for upload_id in ids:
            try:
                ended += await self._expire(upload_id)
            except Exception:
                log.exception("expiring upload %s failed", upload_id)
        return ended

    async def _complete_stalled(self, upload_id: uuid.UUID) -> int:
        async with self.sessions() as session:
            upload = await session.get(Upload, upload_id)
            if upload is None:
                return 0
            try:
                await uploads.claim(session, upload, upload.length, self.limits)
            except DomainError:
                return 0  # another process holds it
            await session.commit()
            with contextlib.suppress(DomainError):  # a refused upload has ended too
                await self.complete_or_refuse(session, upload)
            return 1

    async def _expire(self, upload_id: uuid.UUID) -> int:
        # The bytes go before the mark commits: if deleting them fails, the upload is still
        # `uploading` and past its expiry, so the next sweep tries again (marked first, a
        # failed delete would leave the bytes behind for good).
        async with transaction(self.sessions) as session:
            expired = await uploads.expire(session, upload_id)
            if expired is None:
                return 0
            await self.storage.abort(str(expired.id), expired.storage_state)
            return 1

    async def _sweep_forever(self) -> None:
        await tasks.every(max(0.5, min(60.0, self.limits.expiry_s / 4)), self.sweep, what="media sweep")

    async def stop(self) -> None:
        await tasks.cancel(self.sweeper)
        await self.storage.close()


async def start(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> MediaRuntime:
    """Open the storage named by `NETALARM_MEDIA_URL` and start the sweeper."""
    storage = from_url(settings.media_url, settings.data_dir)
    await storage.open()
    media = MediaRuntime(storage, uploads.Limits.from_settings(settings), sessions)
    media.sweeper = asyncio.create_task(media._sweep_forever())
    return media


async def media_runtime(request: Request) -> MediaRuntime:
    """The dependency form (async: no thread-pool hop for a lookup)."""
    media: MediaRuntime = request.app.state.media
    return media


MediaDep = Annotated[MediaRuntime, Depends(media_runtime)]
