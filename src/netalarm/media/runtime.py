"""The media part of a server process: its storage back end, its limits, and the sweeper
that removes uploads left unfinished past their expiry."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.core.clock import utcnow
from netalarm.core.db import transaction
from netalarm.core.settings import Settings
from netalarm.media import uploads
from netalarm.media.storage import Storage, from_url

log = logging.getLogger(__name__)


@dataclass
class MediaRuntime:
    storage: Storage
    limits: uploads.Limits
    sessions: async_sessionmaker[AsyncSession]
    sweeper: asyncio.Task[None] | None = field(default=None, repr=False)

    async def sweep(self) -> int:
        """Remove expired unfinished uploads (rows marked `expired`, bytes deleted); returns
        how many this process removed. Safe to run in several processes at once."""
        async with transaction(self.sessions) as session:
            ids = await uploads.expired(session, utcnow())
        removed = 0
        for upload_id in ids:
            async with transaction(self.sessions) as session:
                upload = await uploads.expire(session, upload_id)
            if upload is not None:
                await self.storage.abort(str(upload.id), upload.storage_state)
                removed += 1
        return removed

    async def _sweep_forever(self) -> None:
        interval = max(0.5, min(60.0, self.limits.expiry_s / 4))
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sweep()
            except Exception:  # a failed sweep is retried on the next tick; the server goes on
                log.exception("media sweep failed")

    async def stop(self) -> None:
        if self.sweeper is not None:
            self.sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.sweeper
        await self.storage.close()


async def start(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> MediaRuntime:
    """Open the storage named by `NETALARM_MEDIA_URL` and start the sweeper."""
    storage = from_url(settings.media_url, settings.data_dir)
    await storage.open()
    media = MediaRuntime(storage, uploads.Limits.from_settings(settings), sessions)
    media.sweeper = asyncio.create_task(media._sweep_forever())
    return media


def media_runtime(request: Request) -> MediaRuntime:
    media: MediaRuntime = request.app.state.media
    return media


MediaDep = Annotated[MediaRuntime, Depends(media_runtime)]
