"""The intranet side's fetcher of the files of forwarded cases (photos, video, voice): beside
the puller, with its own round, so a long video never holds up the conversation.

Every round it asks the Internet side which files the forwarded cases still open here have,
and fetches each one it lacks into this server's storage, hashing the bytes as they come.
A file is kept only if it is as long as announced, has the announced SHA-256, and passes
this server's own checks (type by content, full decode); it is then attached to the case
with its hash on the timeline, as an upload would be. A file whose bytes do not match their
hash, or that fails the checks, is refused: said once on the case's timeline and not fetched
again by this process. A transfer that breaks off is tried again next round."""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.boundary import inside, peer
from netalarm.boundary.document import ACTORS, ForwardIds, MediaMap, RemoteMedia
from netalarm.core.db import transaction
from netalarm.core.errors import UnsupportedMedia
from netalarm.media import files
from netalarm.media import service as media_service
from netalarm.media.storage import BLOCK, Storage

log = logging.getLogger(__name__)

SOURCE = "network"
WHO = "the Internet-side server"


class Refused(Exception):
    """A file that arrived whole but is not the one announced, or fails the checks here."""


@dataclass
class Fetcher:
    sessions: async_sessionmaker[AsyncSession]
    client: httpx.AsyncClient
    storage: Storage
    link: str
    state: peer.PeerState = field(default_factory=peer.PeerState)
    # Files refused by this process, and why: not fetched again until it restarts.
    refused: dict[uuid.UUID, str] = field(default_factory=dict)

    async def run_once(self) -> int:
        """One round: how many files were attached here."""
        async with transaction(self.sessions) as session:
            forwards = list(await inside.following(session, SOURCE))
        if not forwards:
            return 0
        body = ForwardIds(forwards=forwards).model_dump(mode="json")
        listed = MediaMap.model_validate(
            await peer.call(self.client, "POST", f"{self.link}/media", json=body, who=WHO)
        ).media
        async with transaction(self.sessions) as session:
            have = await media_service.known(session, [m.id for items in listed.values() for m in items])
        taken = 0
        for forward_id, items in listed.items():
            for remote in items:
                if remote.id not in have and remote.id not in self.refused:
                    taken += await self._take(forward_id, remote)
        return taken

    async def _take(self, forward_id: uuid.UUID, remote: RemoteMedia) -> int:
        try:
            sha256 = await self._fetch(forward_id, remote)
            try:
                examined = await files.examine(self.storage, remote.id, sha256=sha256)
            except UnsupportedMedia as exc:
                await self._discard(remote.id)
                raise Refused(exc.message) from exc
        except Refused as exc:
            self.refused[remote.id] = str(exc)
            log.warning("110 link: file %s of forward %s refused: %s", remote.id, forward_id, exc)
            async with transaction(self.sessions) as session:
                await inside.refuse_media(
                    session, forward_id, remote, str(exc), source=SOURCE, actor=ACTORS["110"]
                )
            return 0
        async with transaction(self.sessions) as session:
            media = await inside.take_media(
                session, forward_id, remote, examined, source=SOURCE, actor=ACTORS["110"]
            )
        return 1 if media is not None else 0

    async def _fetch(self, forward_id: uuid.UUID, remote: RemoteMedia) -> str:
        """Stream the original into storage under its key; its SHA-256. `Refused` when the
        bytes are not the ones announced; `PeerError` when the transfer fails."""
        path = f"{self.link}/forwards/{forward_id}/media/{remote.id}"
        # Two processes of the intranet server may fetch the same file at once: each into its
        # own staging, and the last to finish replaces the other's (equal, checked) copy.
        staging = f"link-{remote.id}-{secrets.token_hex(4)}"
        state = await self.storage.begin(staging, media_service.original_key(remote.id))
        digest = hashlib.sha256()

        async def hashed(blocks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
            async for block in blocks:
                digest.update(block)
                yield block

        try:
            async with self.client.stream("GET", path) as answer:
                if not answer.is_success:
                    text = (await answer.aread()).decode(errors="replace")
                    raise peer.PeerError(f"GET {path} answered {answer.status_code}: {text[:300]}")
                appended = await self.storage.append(staging, state, 0, hashed(answer.aiter_bytes(BLOCK)))
        except BaseException as exc:
            await self.storage.abort(staging, state)
            if isinstance(exc, httpx.HTTPError):
                raise peer.PeerError(f"{WHO} is unreachable: {type(exc).__name__}: {exc}") from exc
            raise
        if appended.offset != remote.size:
            await self.storage.abort(staging, appended.state)
            raise peer.PeerError(f"file {remote.id} arrived with {appended.offset} of {remote.size} bytes")
        if digest.hexdigest() != remote.sha256:
            await self.storage.abort(staging, appended.state)
            raise Refused(f"its bytes do not have the SHA-256 recorded outside ({remote.sha256})")
        await self.storage.finish(staging, appended.state)
        return digest.hexdigest()

    async def _discard(self, media_id: uuid.UUID) -> None:
        await self.storage.delete(media_service.original_key(media_id))
        await self.storage.delete(media_service.preview_key(media_id))
