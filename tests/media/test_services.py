"""Upload services on SQLite and PostgreSQL: limits at creation, and the sweeper finishing
uploads a dead process left whole, or removing them once expired."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.core.clock import utcnow
from netalarm.core.errors import Invalid, TooLarge, TooManyRequests, UnsupportedMedia
from netalarm.media import service as media_service
from netalarm.media import uploads
from netalarm.media.models import Media, Upload
from netalarm.media.runtime import MediaRuntime
from netalarm.media.storage import from_url
from netalarm.timeline import service as timeline_service
from tests.media.samples import HTML
from tests.support import factories

ROOMY = uploads.Limits(max_file_bytes=10**7, max_alarm_bytes=10**8, expiry_s=60, rate=100, rate_window_s=60)
TIGHT = uploads.Limits(max_file_bytes=1000, max_alarm_bytes=1500, expiry_s=60, rate=3, rate_window_s=60)


@pytest.fixture
async def runtime(
    own_database: async_sessionmaker[AsyncSession], tmp_path: Path
) -> AsyncIterator[MediaRuntime]:
    """A media runtime on a database of its own: its sweeps must not end uploads of the
    servers that other tests run on the shared database (whose bytes are in other folders),
    nor those servers' sweepers end this test's."""
    sessions = own_database
    storage = from_url("", tmp_path)
    await storage.open()
    yield MediaRuntime(storage, ROOMY, sessions)


async def _alarm(sessions: async_sessionmaker[AsyncSession]) -> factories.intake_service.Submitted:
    async with sessions() as session:
        tree = await factories.tree(session)
        made = await factories.alarm(session, tree.city, factories.Tree.A_POINT)
        await session.commit()
        return made


async def _stored_but_not_completed(runtime: MediaRuntime, data: bytes) -> Upload:
    """An upload holding all of `data`, as a process leaves it when it dies right after
    recording the last byte."""
    made = await _alarm(runtime.sessions)
    async with runtime.sessions() as session:
        upload = await uploads.create(
            session,
            runtime.storage,
            ROOMY,
            reporter_id=made.alarm.reporter_id,
            alarm_id=made.alarm.id,
            filename="late.jpg",
            length=len(data),
        )
        token = await uploads.claim(session, upload, 0, ROOMY)

        async def body() -> AsyncIterator[bytes]:
            yield data

        appended = await runtime.storage.append(str(upload.id), upload.storage_state, 0, body())
        await uploads.advance(session, upload, token, appended)
        await session.commit()
        return upload


async def test_the_sweeper_completes_an_upload_a_dead_process_left_whole(
    runtime: MediaRuntime, samples: dict[str, bytes]
) -> None:
    upload = await _stored_but_not_completed(runtime, samples["photo.png"])
    assert await runtime.sweep() >= 1
    async with runtime.sessions() as session:
        media = await session.get(Media, upload.id)
        assert media is not None and media.content_type == "image/png"
        entries = await timeline_service.entries(session, media.recorded_on)
        assert [e.data["sha256"] for e in entries if e.type == "media_attached"] == [media.sha256]
        assert (await session.get(Upload, upload.id, populate_existing=True)).status == "complete"  # type: ignore[union-attr]


async def test_the_sweeper_refuses_a_whole_impostor_and_deletes_it(runtime: MediaRuntime) -> None:
    upload = await _stored_but_not_completed(runtime, HTML)
    await runtime.sweep()
    async with runtime.sessions() as session:
        assert (await session.get(Upload, upload.id)).status == "refused"  # type: ignore[union-attr]
        assert await session.get(Media, upload.id) is None
    assert [k for k in await runtime.storage.keys() if str(upload.id) in k] == []


async def _uploads(runtime: MediaRuntime, *names: str, expired: bool) -> list[Upload]:
    """Fresh uploads of one alarm (nothing stored yet), past their expiry if `expired`."""
    made = await _alarm(runtime.sessions)
    async with runtime.sessions() as session:
        made_uploads = [
            await uploads.create(
                session,
                runtime.storage,
                ROOMY,
                reporter_id=made.alarm.reporter_id,
                alarm_id=made.alarm.id,
                filename=name,
                length=100,
            )
            for name in names
        ]
        if expired:
            past = utcnow() - timedelta(seconds=1)
            ids = [u.id for u in made_uploads]
            await session.execute(update(Upload).where(Upload.id.in_(ids)).values(expires_at=past))
        await session.commit()
        return made_uploads


async def _statuses(runtime: MediaRuntime, *made: Upload) -> dict[str, str]:
    async with runtime.sessions() as session:
        found = [await session.get(Upload, u.id, populate_existing=True) for u in made]
        return {u.filename: u.status for u in found if u is not None}


async def _kept(runtime: MediaRuntime, upload: Upload) -> list[str]:
    return [k for k in await runtime.storage.keys() if str(upload.id) in k]


async def test_the_sweeper_removes_expired_uploads_but_not_live_ones(runtime: MediaRuntime) -> None:
    [old] = await _uploads(runtime, "old.jpg", expired=True)
    [live] = await _uploads(runtime, "live.jpg", expired=False)
    await runtime.sweep()
    assert await _statuses(runtime, old, live) == {"old.jpg": "expired", "live.jpg": "uploading"}
    assert await _kept(runtime, old) == [] and await _kept(runtime, live) != []


async def test_an_expired_upload_whose_bytes_cannot_be_deleted_is_tried_again_and_holds_up_no_other(
    runtime: MediaRuntime, tmp_path: Path
) -> None:
    stuck, other = await _uploads(runtime, "stuck.jpg", "other.jpg", expired=True)
    # The local store cannot unlink a directory: a real failure to delete the staged bytes.
    staged = tmp_path / "media" / "uploads" / str(stuck.id)
    staged.unlink()
    (staged / "obstacle").mkdir(parents=True)
    assert await runtime.sweep() == 1
    assert await _statuses(runtime, stuck, other) == {"stuck.jpg": "uploading", "other.jpg": "expired"}
    assert await _kept(runtime, other) == []
    (staged / "obstacle").rmdir()
    staged.rmdir()
    staged.write_bytes(b"partial")
    assert await runtime.sweep() == 1
    assert await _statuses(runtime, stuck) == {"stuck.jpg": "expired"}
    assert not staged.exists()


async def test_creation_enforces_the_limits_in_order(runtime: MediaRuntime) -> None:
    made = await _alarm(runtime.sessions)
    async with runtime.sessions() as session:

        async def start(length: int) -> Upload:
            return await uploads.create(
                session,
                runtime.storage,
                TIGHT,
                reporter_id=made.alarm.reporter_id,
                alarm_id=made.alarm.id,
                filename="x.jpg",
                length=length,
            )

        with pytest.raises(UnsupportedMedia):
            await start(0)
        with pytest.raises(TooLarge):
            await start(1001)
        await start(1000)
        with pytest.raises(TooLarge):
            await start(501)  # 1000 reserved + 501 > 1500 for the alarm
        await start(499)
        await start(1)  # the third creation in the window, and the alarm is full …
        with pytest.raises(TooManyRequests) as refused:
            await start(1)  # … and the fourth is one too many
        wait = refused.value.details["retry_after_s"]
        assert isinstance(wait, int) and 1 <= wait <= 61
        await session.rollback()


async def test_media_of_another_alarm_cannot_ride_on_a_message(runtime: MediaRuntime) -> None:
    made = await _alarm(runtime.sessions)
    async with runtime.sessions() as session:
        with pytest.raises(Invalid) as refused:
            await media_service.check_for_message(session, made.alarm.id, [made.incident.id])
        assert refused.value.field == "media_ids"
