"""A subordinate's file arriving at its superior (`federation.incoming`), below HTTP, on each
database and each storage back end: a transfer that breaks off goes on from where it broke
off, and the file is kept only if the bytes put together are the ones signed."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.boundary import inside_files
from netalarm.boundary.document import RemoteMedia
from netalarm.core.db import transaction
from netalarm.core.errors import Conflict, Invalid
from netalarm.federation import incoming
from netalarm.media.models import Media
from netalarm.media.storage import Storage
from netalarm.timeline import service as timeline_service
from tests.media.samples import noise_png
from tests.support import factories
from tests.support.factories import Tree

ACTOR = "system:federation"


@dataclass
class Escalated:
    forward_id: uuid.UUID
    source: str
    incident_id: uuid.UUID


async def escalated(sessions: async_sessionmaker[AsyncSession]) -> Escalated:
    """A case escalated below and received above, committed."""
    async with transaction(sessions) as session:
        below, above = await factories.tree(session), await factories.tree(session)
        made = await factories.alarm(session, below.city, Tree.OUTSIDE)
        _, forward, received = await factories.handed_up(session, below, above, made.incident.id)
    return Escalated(forward.forward_id, below.city.code, received.incident_id)


def remote_of(data: bytes) -> RemoteMedia:
    return RemoteMedia(
        id=uuid.uuid4(),
        filename="evidence.png",
        kind="image",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


@dataclass
class Counted:
    """Blocks of `data` (64 KiB each), counting what was handed out."""

    data: bytes
    sent: int = 0

    async def blocks(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.data), 64 * 1024):
            block = self.data[start : start + 64 * 1024]
            self.sent += len(block)
            yield block


async def send(
    sessions: async_sessionmaker[AsyncSession],
    storage: Storage,
    partials: incoming.Partials,
    case: Escalated,
    remote: RemoteMedia,
    body: bytes | AsyncIterator[bytes],
    offset: int = 0,
) -> bool:
    """One PUT's work, committed as the handler commits it."""
    blocks = Counted(body).blocks() if isinstance(body, bytes) else body
    async with sessions() as session:
        try:
            made = await incoming.receive(
                session,
                storage,
                partials,
                case.forward_id,
                remote,
                blocks,
                offset=offset,
                source=case.source,
                actor=ACTOR,
            )
        except incoming.Refused:
            await session.commit()
            raise
        await session.commit()
        return made


async def cut_off(
    sessions: async_sessionmaker[AsyncSession],
    storage: Storage,
    partials: incoming.Partials,
    case: Escalated,
    remote: RemoteMedia,
    part: bytes,
) -> None:
    """A transfer of which only `part` arrived: held, and said so."""
    with pytest.raises(Invalid) as broke:
        await send(sessions, storage, partials, case, remote, part)
    assert (broke.value.code, broke.value.field, broke.value.details) == (
        "incomplete",
        "body",
        {"offset": len(part)},
    )


async def entries_of(
    sessions: async_sessionmaker[AsyncSession], incident_id: uuid.UUID, type: str
) -> list[dict]:
    async with sessions() as session:
        return [e.data for e in await timeline_service.entries(session, incident_id) if e.type == type]


async def leftovers(storage: Storage) -> list[str]:
    """Stagings and unfinished multipart uploads still in `storage`."""
    return [k for k in await storage.keys() if k.startswith(("uploads/", "multipart:"))]


async def stored(storage: Storage, media_id: uuid.UUID) -> bytes:
    return b"".join([block async for block in storage.read(f"originals/{media_id}")])


async def test_a_transfer_cut_off_goes_on_from_where_it_broke_off_and_the_file_arrives_whole(
    sessions: async_sessionmaker[AsyncSession], storage: Storage
) -> None:
    case = await escalated(sessions)
    data = noise_png(1400)  # about 5.6 MiB: on S3, a part and a tail
    remote = remote_of(data)
    partials = incoming.Partials()
    cut = 3 * 1024 * 1024 + 12_345
    await cut_off(sessions, storage, partials, case, remote, data[:cut])
    assert partials.offset(case.source, remote) == cut
    assert partials.offsets(case.source, {case.forward_id: [remote]}) == {remote.id: cut}
    assert partials.offsets("another-sender", {case.forward_id: [remote]}) == {}

    rest = Counted(data[cut:])
    assert await send(sessions, storage, partials, case, remote, rest.blocks(), offset=cut) is True
    assert rest.sent == len(data) - cut
    assert await stored(storage, remote.id) == data
    async with sessions() as session:
        media = await session.get(Media, remote.id)
        assert media is not None and (media.sha256, media.size) == (remote.sha256, len(data))
    [attached] = await entries_of(sessions, case.incident_id, "media_attached")
    assert (attached["media_id"], attached["sha256"]) == (str(remote.id), remote.sha256)
    assert partials.held == {}
    assert await leftovers(storage) == []  # no staging left behind
    # Sent once more (a sender that missed the answer): not taken twice, nothing read.
    assert await send(sessions, storage, partials, case, remote, data) is False


async def test_resumed_bytes_that_are_not_the_signed_ones_are_refused_once_and_nothing_is_kept(
    sessions: async_sessionmaker[AsyncSession], storage: Storage
) -> None:
    case = await escalated(sessions)
    data = noise_png(200)
    remote = remote_of(data)
    partials = incoming.Partials()
    await cut_off(sessions, storage, partials, case, remote, data[:50_000])
    forged = bytearray(data[50_000:])
    forged[-100] ^= 0xFF
    with pytest.raises(incoming.Refused) as refused:
        await send(sessions, storage, partials, case, remote, bytes(forged), offset=50_000)
    assert (refused.value.error.status, refused.value.error.code) == (422, "wrong_bytes")
    assert [e["media_id"] for e in await entries_of(sessions, case.incident_id, "media_refused")] == [
        str(remote.id)
    ]
    assert await storage.size(f"originals/{remote.id}") is None
    assert await leftovers(storage) == []
    async with sessions() as session:
        assert await inside_files.wanted_media(session, {case.forward_id: [remote]}, source=case.source) == {}


async def test_a_resumed_file_failing_the_checks_is_refused_with_415(
    sessions: async_sessionmaker[AsyncSession], storage: Storage
) -> None:
    case = await escalated(sessions)
    data = b"MZ" + os.urandom(100_000)  # no accepted type
    remote = remote_of(data)
    partials = incoming.Partials()
    await cut_off(sessions, storage, partials, case, remote, data[:40_000])
    with pytest.raises(incoming.Refused) as refused:
        await send(sessions, storage, partials, case, remote, data[40_000:], offset=40_000)
    assert refused.value.error.status == 415
    assert len(await entries_of(sessions, case.incident_id, "media_refused")) == 1
    assert await storage.size(f"originals/{remote.id}") is None


async def test_an_offset_other_than_the_bytes_held_is_refused_naming_it_and_spoils_nothing(
    sessions: async_sessionmaker[AsyncSession], storage: Storage
) -> None:
    case = await escalated(sessions)
    data = noise_png(200)
    remote = remote_of(data)
    partials = incoming.Partials()
    await cut_off(sessions, storage, partials, case, remote, data[:60_000])
    for wrong in (60_001, 59_999):
        with pytest.raises(Conflict) as mismatch:
            await send(sessions, storage, partials, case, remote, data[wrong:], offset=wrong)
        assert (mismatch.value.code, mismatch.value.field, mismatch.value.details) == (
            "offset_mismatch",
            "offset",
            {"offset": 60_000},
        )
    with pytest.raises(Invalid) as past:
        await send(sessions, storage, partials, case, remote, b"", offset=len(data) + 1)
    assert past.value.field == "offset"
    # Another process of the superior holds nothing of it: it says 0.
    with pytest.raises(Conflict) as elsewhere:
        await send(sessions, storage, incoming.Partials(), case, remote, data[60_000:], offset=60_000)
    assert elsewhere.value.details == {"offset": 0}
    # A part of another file (or the same id with other bytes signed) is not this one's.
    assert partials.offset(case.source, remote.model_copy(update={"sha256": "0" * 64})) == 0
    assert partials.offset(case.source, remote) == 60_000
    assert await send(sessions, storage, partials, case, remote, data[60_000:], offset=60_000) is True
    assert await stored(storage, remote.id) == data


async def test_two_transfers_of_one_file_at_once_do_not_mix_their_bytes(
    sessions: async_sessionmaker[AsyncSession], storage: Storage
) -> None:
    case = await escalated(sessions)
    data = noise_png(200)
    remote = remote_of(data)
    partials = incoming.Partials()
    await cut_off(sessions, storage, partials, case, remote, data[:30_000])
    taking, go_on = asyncio.Event(), asyncio.Event()

    async def slow_rest() -> AsyncIterator[bytes]:
        taking.set()  # the part held is in use
        yield data[30_000:40_000]
        await go_on.wait()
        yield data[40_000:]

    first = asyncio.create_task(send(sessions, storage, partials, case, remote, slow_rest(), offset=30_000))
    await taking.wait()
    assert partials.held == {}
    # Meanwhile the part is in use: a second resume is told to start over, and does.
    with pytest.raises(Conflict) as busy:
        await send(sessions, storage, partials, case, remote, data[30_000:], offset=30_000)
    assert busy.value.details == {"offset": 0}
    assert await send(sessions, storage, partials, case, remote, data) is True
    go_on.set()
    assert await first is False  # whole and right too, but the file was here already
    assert await stored(storage, remote.id) == data
    assert len(await entries_of(sessions, case.incident_id, "media_attached")) == 1


async def test_a_part_held_so_long_its_staging_may_be_swept_is_started_over(
    sessions: async_sessionmaker[AsyncSession], storage: Storage
) -> None:
    case = await escalated(sessions)
    data = noise_png(200)
    remote = remote_of(data)
    partials = incoming.Partials()
    await cut_off(sessions, storage, partials, case, remote, data[:30_000])
    partials.held[(case.source, remote.id)].arriving.touched -= incoming.HELD_FOR + timedelta(minutes=1)
    assert partials.offset(case.source, remote) == 0
    assert partials.offsets(case.source, {case.forward_id: [remote]}) == {}
    assert await send(sessions, storage, partials, case, remote, data) is True
    assert partials.held == {}
    assert await leftovers(storage) == []  # the old part was dropped
