"""The superior's side of a subordinate's file: the body of one signed PUT, or of several when
a transfer breaks off and goes on from where it broke off.

What arrived of a file whose transfer broke off is held by this process (`Partials`), with
the running SHA-256 of its bytes; the sender learns how much from the `media/wanted` answer
(or from a 409 naming `offset`) and sends the rest. The file is kept only when the bytes
reassembled are the size and SHA-256 signed and pass this server's checks, as a file sent in
one piece. Another process of this server holds nothing of it: a resume that lands there is
told 0 and starts over (the bytes the first process held are dropped when a later transfer
lands there, or swept with the other lost stagings, `files.sweep_lost`); a process that ends
drops what it holds."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.boundary import inside_files
from netalarm.boundary.document import RemoteMedia
from netalarm.core.clock import utcnow
from netalarm.core.errors import Conflict, DomainError, Invalid, UnsupportedMedia
from netalarm.media import files
from netalarm.media.storage import Storage

# Each holds a few hundred bytes here and a staging in storage; beyond this many, the one
# touched longest ago is dropped.
MAX_HELD = 1000
# Past this, a held file's staging may be swept (`files.STAGING_LOST_AFTER`): start over.
HELD_FOR = files.STAGING_LOST_AFTER / 2


class Refused(Exception):
    """The file arrived whole but is not the one signed, or fails the checks: the refusal is
    on the case (flushed, for the caller to commit) and `error` is the answer."""

    def __init__(self, error: DomainError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass
class _Held:
    remote: RemoteMedia
    arriving: files.Arriving


@dataclass
class Partials:
    """What arrived in this process of files whose transfer broke off, by sender and media
    id. A file being taken is not held: a second transfer of it at once is told 0."""

    held: OrderedDict[tuple[str, uuid.UUID], _Held] = field(default_factory=OrderedDict)

    def offset(self, sender: str, remote: RemoteMedia) -> int:
        """How many bytes of `remote` (the same size and SHA-256) this process holds."""
        kept = self.held.get((sender, remote.id))
        if kept is None or kept.remote != remote or utcnow() - kept.arriving.touched > HELD_FOR:
            return 0
        return kept.arriving.offset

    def offsets(self, sender: str, listed: dict[uuid.UUID, list[RemoteMedia]]) -> dict[uuid.UUID, int]:
        """Of the files listed, those this process holds a part of, with how many bytes."""
        found = {m.id: self.offset(sender, m) for files_of in listed.values() for m in files_of}
        return {media_id: offset for media_id, offset in found.items() if offset}

    async def claim(self, storage: Storage, sender: str, remote: RemoteMedia, offset: int) -> files.Arriving:
        """The file to add bytes to from `offset` on: a new one at 0 (what was held is
        dropped), else the part held if it has exactly `offset` bytes; 409 naming `offset`
        (with the bytes held) otherwise, and what is held stays."""
        have = self.offset(sender, remote)
        if offset == 0:
            await self.drop(storage, sender, remote.id)
            return await files.arrive(storage, remote.id)
        if offset != have:
            raise Conflict(
                f"this server holds {have} bytes of the file, not {offset}: send from {have}",
                field="offset",
                code="offset_mismatch",
                details={"offset": have},
            )
        return self.held.pop((sender, remote.id)).arriving

    async def keep(
        self, storage: Storage, sender: str, remote: RemoteMedia, arriving: files.Arriving
    ) -> None:
        """Hold what arrived for a later transfer to go on from (replacing a shorter part held
        meanwhile; a longer one is kept instead)."""
        key = (sender, remote.id)
        other = self.held.get(key)
        if other is not None and other.remote == remote and other.arriving.offset > arriving.offset:
            await storage.abort(arriving.staging, arriving.state)
            return
        await self.drop(storage, sender, remote.id)
        self.held[key] = _Held(remote, arriving)
        while len(self.held) > MAX_HELD:
            _, oldest = self.held.popitem(last=False)
            await storage.abort(oldest.arriving.staging, oldest.arriving.state)

    async def drop(self, storage: Storage, sender: str, media_id: uuid.UUID) -> None:
        kept = self.held.pop((sender, media_id), None)
        if kept is not None:
            await storage.abort(kept.arriving.staging, kept.arriving.state)

    async def drop_all(self, storage: Storage) -> None:
        while self.held:
            _, kept = self.held.popitem()
            await storage.abort(kept.arriving.staging, kept.arriving.state)


async def receive(
    session: AsyncSession,
    storage: Storage,
    partials: Partials,
    forward_id: uuid.UUID,
    remote: RemoteMedia,
    blocks: AsyncIterator[bytes],
    *,
    offset: int,
    source: str,
    actor: str,
) -> bool:
    """Take `blocks` as the bytes of `remote` from `offset` on, for the escalation `forward_id`
    from `source`. True: the file is whole, has the signed hash, passes the checks and is
    attached to the case; False: it was here already (or refused before, or its case is
    closed): nothing was read. 422 naming `offset` past the file's end; 409 naming `offset`
    when this process holds another number of bytes. A transfer that ends early is held
    (`Partials`) and answered 422 `incomplete` with the `offset` to go on from. Bytes that are
    whole but not the ones signed (422 `wrong_bytes`), or a file failing the checks (415),
    raise `Refused` once the refusal is recorded."""
    if offset > remote.size:
        raise Invalid(f"offset {offset} is past the file's {remote.size} bytes", field="offset")
    if forward_id not in await inside_files.wanted_media(session, {forward_id: [remote]}, source=source):
        await partials.drop(storage, source, remote.id)
        return False
    await session.rollback()  # no transaction open while the file streams in
    arriving = await partials.claim(storage, source, remote, offset)
    try:
        await files.take(storage, arriving, blocks)
    except BaseException:  # this call's bytes are dropped; the part before stays
        await _hold_or_abort(storage, partials, source, remote, arriving)
        raise
    if arriving.offset < remote.size:
        await _hold_or_abort(storage, partials, source, remote, arriving)
        raise Invalid(
            f"body: {arriving.offset} of {remote.size} bytes are here; send the rest from there",
            field="body",
            code="incomplete",
            details={"offset": arriving.offset},
        )
    try:
        await files.complete(storage, arriving, size=remote.size, sha256=remote.sha256)
    except files.WrongBytes as exc:
        error = Invalid(f"body: {exc}", field="body", code="wrong_bytes")
        if exc.length_differs:  # more than signed came: sent again, whole, it may be right
            raise error from exc
        await inside_files.refuse_media(session, forward_id, remote, str(exc), source=source, actor=actor)
        raise Refused(error) from exc
    try:
        examined = await files.examine(storage, remote.id, sha256=remote.sha256)
    except UnsupportedMedia as exc:
        await files.discard(storage, remote.id)
        await inside_files.refuse_media(session, forward_id, remote, exc.message, source=source, actor=actor)
        raise Refused(exc) from exc
    made = await inside_files.take_media(session, forward_id, remote, examined, source=source, actor=actor)
    return made is not None


async def _hold_or_abort(
    storage: Storage, partials: Partials, source: str, remote: RemoteMedia, arriving: files.Arriving
) -> None:
    if arriving.offset:
        await partials.keep(storage, source, remote, arriving)
    else:
        await storage.abort(arriving.staging, arriving.state)
