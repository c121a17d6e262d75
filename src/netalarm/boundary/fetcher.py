"""The intranet side's fetcher of the files of forwarded cases (photos, video, voice): beside
the puller, with its own round, so a long video never holds up the conversation.

Every round it asks the Internet side which files the forwarded cases still open here have,
and fetches each one it lacks into this server's storage, hashing the bytes as they come.
A file is kept only if it is as long as announced, has the announced SHA-256, and passes
this server's own checks (type by content, full decode); it is then attached to the case
with its hash on the timeline, as an upload would be. A file whose bytes do not match their
hash, or that fails the checks, is refused: said on the case's timeline, and not asked for
again. A transfer that breaks off is tried again next round."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.boundary import inside, peer
from netalarm.boundary.document import ACTORS, LINK_110, NETWORK, ForwardIds, MediaMap, RemoteMedia
from netalarm.core.db import transaction
from netalarm.core.errors import UnsupportedMedia
from netalarm.media import files
from netalarm.media.storage import BLOCK, Storage

log = logging.getLogger(__name__)

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

    async def run_once(self) -> int:
        """One round: how many files were attached here."""
        async with transaction(self.sessions) as session:
            forwards = list(await inside.following(session, NETWORK))
        if not forwards:
            return 0
        body = ForwardIds(forwards=forwards).model_dump(mode="json")
        listed = MediaMap.model_validate(
            await peer.call(self.client, "POST", f"{self.link}/media", json=body, who=WHO)
        ).media
        async with transaction(self.sessions) as session:
            wanted = await inside.wanted_media(session, listed, source=NETWORK)
        taken = 0
        for forward_id, ids in wanted.items():
            for remote in listed[forward_id]:
                if remote.id in ids:
                    taken += await self._take(forward_id, remote)
        return taken

    async def _take(self, forward_id: uuid.UUID, remote: RemoteMedia) -> int:
        try:
            await self._fetch(forward_id, remote)
            try:
                examined = await files.examine(self.storage, remote.id, sha256=remote.sha256)
            except UnsupportedMedia as exc:
                await files.discard(self.storage, remote.id)
                raise Refused(exc.message) from exc
        except Refused as exc:
            log.warning("110 link: file %s of forward %s refused: %s", remote.id, forward_id, exc)
            async with transaction(self.sessions) as session:
                await inside.refuse_media(
                    session, forward_id, remote, str(exc), source=NETWORK, actor=ACTORS[LINK_110]
                )
            return 0
        async with transaction(self.sessions) as session:
            media = await inside.take_media(
                session, forward_id, remote, examined, source=NETWORK, actor=ACTORS[LINK_110]
            )
        return 1 if media is not None else 0

    async def _fetch(self, forward_id: uuid.UUID, remote: RemoteMedia) -> None:
        """Stream the original into storage under its key. `Refused` when the bytes are not
        the ones announced; `PeerError` when the transfer fails or breaks off."""
        path = f"{self.link}/forwards/{forward_id}/media/{remote.id}"
        try:
            async with self.client.stream("GET", path) as answer:
                if not answer.is_success:
                    text = (await answer.aread()).decode(errors="replace")
                    raise peer.PeerError(f"GET {path} answered {answer.status_code}: {text[:300]}")
                blocks = answer.aiter_bytes(BLOCK)
                await files.store(self.storage, remote.id, blocks, size=remote.size, sha256=remote.sha256)
        except httpx.HTTPError as exc:
            raise peer.PeerError(f"{WHO} is unreachable: {type(exc).__name__}: {exc}") from exc
        except files.WrongBytes as exc:
            if exc.length_differs:  # broken off on the way: next round tries again
                raise peer.PeerError(f"file {remote.id}: {exc}") from exc
            raise Refused(str(exc)) from exc
