"""The storage contract, the same for both back ends: appends resume after the stored bytes,
rollback and settle, finish, ranged reads, nothing left behind by abort, and stagings a dead
process left swept."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from netalarm.core.clock import utcnow
from netalarm.core.ids import uuid7
from netalarm.media import files
from netalarm.media.storage import Storage, from_url
from netalarm.media.storage.s3 import S3Storage


async def chunks(data: bytes, size: int = 100_000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def read_all(store: Storage, key: str, start: int = 0, end: int | None = None) -> bytes:
    return b"".join([block async for block in store.read(key, start, end)])


async def test_appends_in_pieces_finish_into_the_exact_bytes(storage: Storage) -> None:
    data = os.urandom(12 * 1024 * 1024 + 333)
    state = await storage.begin("u1", "originals/u1")
    offset = 0
    for cut in (1, 6 * 1024 * 1024, 6 * 1024 * 1024 + 5, 11 * 1024 * 1024, len(data)):
        appended = await storage.append("u1", state, offset, chunks(data[offset:cut]))
        assert appended.offset == cut
        await storage.settle(state, appended.state)
        state, offset = appended.state, appended.offset
    await storage.finish("u1", state)
    assert await storage.size("originals/u1") == len(data)
    assert hashlib.sha256(await read_all(storage, "originals/u1")).digest() == hashlib.sha256(data).digest()
    assert await storage.keys() == ["originals/u1"]


async def test_a_rolled_back_append_leaves_the_upload_as_before(storage: Storage) -> None:
    data = os.urandom(300_000)
    state = await storage.begin("u2", "originals/u2")
    first = await storage.append("u2", state, 0, chunks(data[:100_000]))
    await storage.settle(state, first.state)
    wrong = await storage.append("u2", first.state, 100_000, chunks(b"garbage" * 1000))
    await storage.rollback("u2", first.state, wrong.state, 100_000)
    rest = await storage.append("u2", first.state, 100_000, chunks(data[100_000:]))
    await storage.settle(first.state, rest.state)
    await storage.finish("u2", rest.state)
    assert await read_all(storage, "originals/u2") == data


async def test_ranged_reads_return_the_asked_slice(storage: Storage) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    await storage.put("previews/x.jpg", data)
    assert await read_all(storage, "previews/x.jpg", 10, 20) == data[10:20]
    assert await read_all(storage, "previews/x.jpg", len(data) - 5) == data[-5:]
    assert await read_all(storage, "previews/x.jpg", 5, 5) == b""
    assert await storage.head("previews/x.jpg", 4) == data[:4]
    assert await storage.size("previews/missing.jpg") is None


async def test_abort_and_delete_leave_nothing(storage: Storage) -> None:
    state = await storage.begin("u3", "originals/u3")
    appended = await storage.append("u3", state, 0, chunks(os.urandom(6 * 1024 * 1024)))
    assert await storage.keys() != []
    await storage.abort("u3", appended.state)
    await storage.put("previews/u3.jpg", b"x")
    await storage.delete("previews/u3.jpg")
    await storage.delete("previews/never-there.jpg")
    assert await storage.keys() == []


async def test_stagings_are_swept_by_prefix_and_only_when_written_before_the_time(storage: Storage) -> None:
    lost = await storage.begin("in-lost", "originals/lost")
    await storage.append("in-lost", lost, 0, chunks(os.urandom(100_000)))
    live = await storage.begin("u4", "originals/u4")
    await storage.append("u4", live, 0, chunks(os.urandom(100_000)))
    assert await storage.sweep_staging("in-", utcnow() - timedelta(minutes=1)) == 0
    assert any("in-lost" in key for key in await storage.keys())

    assert await storage.sweep_staging("in-", utcnow() + timedelta(minutes=1)) == 1
    left = await storage.keys()
    assert not any("in-lost" in key for key in left)
    assert any("u4" in key for key in left)  # another prefix: not touched


async def test_a_hand_over_staging_is_lost_only_after_hours_untouched(storage: Storage) -> None:
    staging = f"{files.STAGING_PREFIX}{uuid7()}-0000"
    state = await storage.begin(staging, "originals/x")
    await storage.append(staging, state, 0, chunks(b"half a file"))
    assert await files.sweep_lost(storage, utcnow() + files.STAGING_LOST_AFTER - timedelta(minutes=1)) == 0
    assert await files.sweep_lost(storage, utcnow() + files.STAGING_LOST_AFTER + timedelta(minutes=1)) == 1
    assert not any(staging in key for key in await storage.keys())


async def test_a_file_taken_in_pieces_across_breaks_is_kept_whole_and_a_wrong_one_not_at_all(
    storage: Storage,
) -> None:
    data = os.urandom(6 * 1024 * 1024 + 77)
    media_id = uuid7()
    arriving = await files.arrive(storage, media_id)
    await files.take(storage, arriving, chunks(data[:1_000_000]))  # then the connection broke

    async def failing() -> AsyncIterator[bytes]:
        yield data[1_000_000:2_000_000]
        raise OSError("the disk went away")

    with pytest.raises(OSError):
        await files.take(storage, arriving, failing())
    assert arriving.offset == 1_000_000  # the failed piece is not counted, nor hashed
    await files.take(storage, arriving, chunks(data[1_000_000:]))
    await files.complete(storage, arriving, size=len(data), sha256=hashlib.sha256(data).hexdigest())
    key = f"originals/{media_id}"
    assert await read_all(storage, key) == data

    other = await files.arrive(storage, uuid7())
    await files.take(storage, other, chunks(data[:10]))
    with pytest.raises(files.WrongBytes) as refused:
        await files.complete(storage, other, size=10, sha256=hashlib.sha256(b"x").hexdigest())
    assert not refused.value.length_differs
    assert await storage.keys() == [key]


async def test_tools_can_read_the_object(storage: Storage) -> None:
    await storage.put("originals/t", b"hello")
    async with storage.local_copy("originals/t") as path:
        assert path.read_bytes() == b"hello"
    async with storage.tool_input("originals/t") as source:
        assert source.startswith(("/", "http://"))


def test_the_media_url_chooses_the_back_end(tmp_path: Path) -> None:
    assert repr(from_url("", tmp_path)) == f"LocalStorage({(tmp_path / 'media').resolve()})"
    assert repr(from_url(f"file://{tmp_path}/elsewhere", tmp_path)).endswith("elsewhere)")
    assert isinstance(
        from_url("s3://bucket/pre?endpoint_url=http://127.0.0.1:1&region=x", tmp_path), S3Storage
    )
    for bad in ("ftp://host/x", "s3:///nobucket"):
        with pytest.raises(ValueError):
            from_url(bad, tmp_path)


async def test_local_keys_cannot_leave_the_folder(tmp_path: Path) -> None:
    store = from_url("", tmp_path)
    with pytest.raises(ValueError):
        await store.put("../escape", b"x")
