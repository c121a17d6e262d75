"""The intranet side's fetcher of the files of forwarded cases (photos, video, voice): beside
the puller, with its own round, so a long video never holds up the conversation.

Every round it asks the Internet side which files the forwarded cases still open here have,
and fetches each one it lacks into this server's storage, hashing the bytes as they come.
A file is kept only if it is as long as announced, has the announced SHA-256, and passes
this server's own checks (type by content, full decode); it is then attached to the case
with its hash on the timeline, as an upload would be. A file whose bytes do not match their
hash, or that fails the checks, is refused: said on the case's timeline, and not asked for
again. A transfer that breaks off goes on next round from where it broke off (asked for
with `Range`); a process that dies loses that, and its staging is swept later."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.boundary import inside, inside_files, peer
from netalarm.boundary.document import ACTORS, LINK_110, NETWORK, ForwardIds, MediaMap, RemoteMedia, pages
from netalarm.core.clock import utcnow
from netalarm.core.db import transaction
from netalarm.core.errors import UnsupportedMedia
from netalarm.media import files
from netalarm.media.storage import Storage

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
    # Files broken off in an earlier round, by id: the next round asks for the rest.
    arriving: dict[uuid.UUID, files.Arriving] = field(default_factory=dict)

    async def run_once(self) -> int:
        """One round: how many files were attached here."""
        async with transaction(self.sessions) as session:
            forwards = await inside.following(session, NETWORK)
        if not forwards:
            await self.forget_all_but(set())
            return 0
        listed: dict[uuid.UUID, list[RemoteMedia]] = {}
        for page in pages(forwards):  # a disaster day follows more cases than one request may name
            body = ForwardIds(forwards=list(page)).model_dump(mode="json")
            answer = await peer.call(self.client, "POST", f"{self.link}/media", json=body, who=WHO)
            listed.update(MediaMap.model_validate(answer).media)
        async with transaction(self.sessions) as session:
            wanted = await inside_files.wanted_media(session, listed, source=NETWORK)
        await self.forget_all_but({media_id for ids in wanted.values() for media_id in ids})
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
                await inside_files.refuse_media(
                    session, forward_id, remote, str(exc), source=NETWORK, actor=ACTORS[LINK_110]
                )
            return 0
        async with transaction(self.sessions) as session:
            media = await inside_files.take_media(
                session, forward_id, remote, examined, source=NETWORK, actor=ACTORS[LINK_110]
            )
        return 1 if media is not None else 0

    async def _fetch(self, forward_id: uuid.UUID, remote: RemoteMedia) -> None:
        """Stream the original into storage under its key, from where an earlier round broke
        off. `Refused` when the bytes are not the ones announced; `PeerError` when the
        transfer fails or breaks off (what arrived is kept for the next round)."""
        arriving = await self._resumable(remote.id)
        path = f"{self.link}/forwards/{forward_id}/media/{remote.id}"
        asked = {"Range": f"bytes={arriving.offset}-"} if arriving.offset else {}
        body = _Body()
        try:
            async with self.client.stream("GET", path, headers=asked) as answer:
                if not answer.is_success:
                    text = (await answer.aread()).decode(errors="replace")
                    if answer.status_code == 416:  # the bytes kept are not a start of the file
                        await self._drop(remote.id)
                    raise peer.refused(f"GET {path}", answer.status_code, text)
                if arriving.offset and not answer.headers.get("content-range", "").startswith(
                    f"bytes {arriving.offset}-"
                ):
                    arriving = await self._restart(remote.id)  # the whole file came: start over with it
                await files.take(self.storage, arriving, body.blocks(answer))
        except httpx.HTTPError as exc:
            raise peer.PeerError(f"{WHO} is unreachable: {type(exc).__name__}: {exc}") from exc
        if body.error is not None or arriving.offset < remote.size:
            why = f"{type(body.error).__name__}: {body.error}" if body.error else "the body ended early"
            raise peer.PeerError(
                f"file {remote.id}: broke off at {arriving.offset} of {remote.size} bytes ({why})"
            )
        del self.arriving[remote.id]
        try:
            await files.complete(self.storage, arriving, size=remote.size, sha256=remote.sha256)
        except files.WrongBytes as exc:
            if exc.length_differs:  # more than announced came: the whole file again next round
                raise peer.PeerError(f"file {remote.id}: {exc}") from exc
            raise Refused(str(exc)) from exc

    async def _resumable(self, media_id: uuid.UUID) -> files.Arriving:
        """What arrived of a file in an earlier round, to go on from; a new start when nothing
        did, or when it lies untouched so long that the media sweeper may delete its staging
        (a link down for hours) and appending to it would fail round after round."""
        kept = self.arriving.get(media_id)
        if kept is not None and utcnow() - kept.touched <= files.STAGING_LOST_AFTER / 2:
            return kept
        return await self._restart(media_id)

    async def _restart(self, media_id: uuid.UUID) -> files.Arriving:
        """Drop what arrived of a file so far and start it anew."""
        await self._drop(media_id)
        arriving = self.arriving[media_id] = await files.arrive(self.storage, media_id)
        return arriving

    async def _drop(self, media_id: uuid.UUID) -> None:
        """Give up what arrived of a file so far."""
        arriving = self.arriving.pop(media_id, None)
        if arriving is not None:
            await self.storage.abort(arriving.staging, arriving.state)

    async def forget_all_but(self, wanted: set[uuid.UUID]) -> None:
        """Drop what arrived of files no longer wanted (their case closed, or taken by
        another process)."""
        for media_id in [m for m in self.arriving if m not in wanted]:
            await self._drop(media_id)


class _Body:
    """A response's body in blocks that ends, instead of raising, where the connection
    breaks; the error is kept."""

    def __init__(self) -> None:
        self.error: httpx.HTTPError | None = None

    async def blocks(self, answer: httpx.Response) -> AsyncIterator[bytes]:
        try:
            # As they come: a chunker would lose what it holds when the connection breaks.
            async for block in answer.aiter_bytes():
                yield block
        except httpx.HTTPError as exc:
            self.error = exc
