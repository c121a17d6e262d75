"""tus uploads as plain service steps: create, claim, advance, complete or refuse, end.

A PATCH spans several short transactions (claim the upload, stream the bytes with no
transaction open, record the new offset, complete), so each step here takes a session and
flushes; the HTTP layer commits between them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.core.clock import utcnow
from netalarm.core.errors import Conflict, DomainError, NotFound, TooLarge, TooManyRequests, UnsupportedMedia
from netalarm.core.settings import Settings
from netalarm.incidents import service as incident_service
from netalarm.intake import service as intake_service
from netalarm.media import files
from netalarm.media import service as media_service
from netalarm.media.models import Media, Upload
from netalarm.media.storage import Appended, Storage
from netalarm.messaging import service as messaging_service

# A request appending to an upload holds it this long, renewed while bytes flow.
LEASE_S = 300


class Locked(DomainError):
    status = 423
    code = "upload_busy"


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int
    max_alarm_bytes: int
    expiry_s: int
    rate: int
    rate_window_s: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            settings.media_max_file_bytes,
            settings.media_max_alarm_bytes,
            settings.media_upload_expiry_s,
            settings.media_upload_rate,
            settings.media_upload_rate_window_s,
        )


async def create(
    session: AsyncSession,
    storage: Storage,
    limits: Limits,
    *,
    reporter_id: uuid.UUID,
    alarm_id: uuid.UUID,
    filename: str,
    length: int,
    message_id: uuid.UUID | None = None,
    metadata_header: str = "",
) -> Upload:
    """Start an upload to the reporter's own alarm (404 for anyone else's). Refused with 429
    past the rate limit, 413 past the size limits, 415 when empty, 409 if the case is closed."""
    await _check_rate(session, reporter_id, limits)
    found = await intake_service.get_for_reporter(session, alarm_id, reporter_id)
    if found.incident.status == "closed":
        raise Conflict("the incident is closed", code="incident_closed")
    if message_id is not None:
        await messaging_service.check_reporter_message(session, alarm_id, message_id)
    if length <= 0:
        raise UnsupportedMedia("the file is empty", code="empty_file", field="file")
    if length > limits.max_file_bytes:
        raise TooLarge(f"a file may have at most {limits.max_file_bytes} bytes", field="Upload-Length")
    used = await _alarm_bytes(session, alarm_id)
    if used + length > limits.max_alarm_bytes:
        raise TooLarge(
            f"an alarm may carry at most {limits.max_alarm_bytes} bytes of media ({used} used)",
            field="Upload-Length",
        )
    now = utcnow()
    upload = Upload(
        reporter_id=reporter_id,
        alarm_id=alarm_id,
        message_id=message_id,
        filename=filename,
        length=length,
        offset=0,
        metadata_header=metadata_header,
        status="uploading",
        created_at=now,
        expires_at=now + timedelta(seconds=limits.expiry_s),
    )
    session.add(upload)
    await session.flush()
    upload.storage_state = await storage.begin(str(upload.id), media_service.original_key(upload.id))
    await session.flush()
    return upload


async def _check_rate(session: AsyncSession, reporter_id: uuid.UUID, limits: Limits) -> None:
    since = utcnow() - timedelta(seconds=limits.rate_window_s)
    recent = list(
        await session.scalars(
            select(Upload.created_at)
            .where(Upload.reporter_id == reporter_id, Upload.created_at > since)
            .order_by(Upload.created_at)
        )
    )
    if len(recent) >= limits.rate:
        wait = (recent[-limits.rate] - since).total_seconds()
        raise TooManyRequests(
            f"at most {limits.rate} uploads per {limits.rate_window_s} s",
            details={"retry_after_s": max(1, int(wait) + 1)},
        )


async def _alarm_bytes(session: AsyncSession, alarm_id: uuid.UUID) -> int:
    """Bytes the alarm carries: finished files plus uploads still under way (reserved)."""
    done = await session.scalar(
        select(func.coalesce(func.sum(Media.size), 0)).where(Media.alarm_id == alarm_id)
    )
    pending = await session.scalar(
        select(func.coalesce(func.sum(Upload.length), 0)).where(
            Upload.alarm_id == alarm_id, Upload.status == "uploading"
        )
    )
    return int(done or 0) + int(pending or 0)


async def get(session: AsyncSession, upload_id: uuid.UUID, reporter_id: uuid.UUID) -> Upload:
    """The reporter's upload, if it is under way or complete; 404 otherwise (someone else's,
    refused, terminated or expired)."""
    upload = await session.get(Upload, upload_id, populate_existing=True)
    if (
        upload is None
        or upload.reporter_id != reporter_id
        or upload.status not in ("uploading", "complete")
        or (upload.status == "uploading" and upload.expires_at <= utcnow())
    ):
        raise NotFound("no such upload", field="upload_id")
    return upload


async def claim(session: AsyncSession, upload: Upload, offset: int, limits: Limits) -> str:
    """Take the lease to append at `offset`: 409 if the upload is elsewhere (or complete),
    423 while another request appends. Returns the lease token."""
    if upload.status != "uploading" or offset != upload.offset:
        raise Conflict(
            f"the upload is at offset {upload.offset}", field="Upload-Offset", code="offset_mismatch"
        )
    token, now = uuid.uuid4().hex, utcnow()
    claimed = await session.execute(
        update(Upload)
        .where(
            Upload.id == upload.id,
            Upload.status == "uploading",
            Upload.offset == offset,
            or_(Upload.locked_until.is_(None), Upload.locked_until < now),
        )
        .values(
            locked_until=now + timedelta(seconds=LEASE_S),
            lock_token=token,
            expires_at=now + timedelta(seconds=limits.expiry_s),
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise Locked("another request is appending to this upload; retry shortly")
    return token


async def renew(session: AsyncSession, upload_id: uuid.UUID, token: str) -> bool:
    """Extend the lease; False if it was lost."""
    renewed = await session.execute(
        update(Upload)
        .where(Upload.id == upload_id, Upload.lock_token == token)
        .values(locked_until=utcnow() + timedelta(seconds=LEASE_S))
        .execution_options(synchronize_session=False)
    )
    return getattr(renewed, "rowcount", 0) == 1


async def advance(
    session: AsyncSession, upload: Upload, token: str, appended: Appended | None, *, release: bool = True
) -> None:
    """Record what an append stored (None: nothing to keep) and release the lease, unless
    the caller keeps it to complete the upload."""
    values: dict[str, object] = {"locked_until": None, "lock_token": None} if release else {}
    if appended is not None:
        values |= {"offset": appended.offset, "storage_state": appended.state}
    done = await session.execute(
        update(Upload)
        .where(Upload.id == upload.id, Upload.lock_token == token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if getattr(done, "rowcount", 0) != 1:
        raise Conflict("the upload's lease was lost; resume from its current offset", code="lease_lost")
    await session.refresh(upload)


async def complete(
    session: AsyncSession, storage: Storage, upload: Upload, *, sha256: str | None = None
) -> Media:
    """Turn a fully stored upload into a checked media file (`files.examine`: the real type,
    a full decode, derived files), its SHA-256 on the timeline, the EXIF position as a
    location hint, and the link to its chat message. The caller holds the upload's lease,
    and ends the upload as `refused` (`end`) if this raises. `sha256`, if given, is the hash
    of every byte this process stored (else the stored file is read back)."""
    if await storage.size(media_service.original_key(upload.id)) is None:
        await storage.finish(str(upload.id), upload.storage_state)
    examined = await files.examine(storage, upload.id, sha256=sha256)
    if examined.size != upload.length:
        raise Conflict("the stored file does not have the announced length", code="length_mismatch")
    found = await intake_service.get_for_reporter(session, upload.alarm_id, upload.reporter_id)
    incident = await incident_service.lock(session, found.incident.id)
    media = files.media_row(
        upload.id,
        examined,
        alarm_id=upload.alarm_id,
        reporter_id=upload.reporter_id,
        message_id=upload.message_id,
        incident=incident,
        filename=upload.filename,
    )
    session.add(media)
    upload.status, upload.ended_at = "complete", media.created_at
    upload.locked_until = upload.lock_token = None
    await session.flush()
    await files.record_attached(session, incident, media, actor=f"reporter:{upload.reporter_id}")
    if upload.message_id is not None:
        await messaging_service.attach_media(session, upload.message_id, media.id)
    return media


async def end(session: AsyncSession, storage: Storage, upload: Upload, status: str) -> None:
    """End an upload that will never complete (`refused`, `terminated`, `expired`) and
    delete every byte it stored. The row stays, for the rate limit."""
    upload.status, upload.ended_at = status, utcnow()
    upload.locked_until = upload.lock_token = None
    await session.flush()
    await storage.abort(str(upload.id), upload.storage_state)
    await storage.delete(media_service.original_key(upload.id))
    await storage.delete(media_service.preview_key(upload.id))


async def terminate(session: AsyncSession, storage: Storage, upload: Upload) -> None:
    """The tus termination extension: the reporter abandons an upload. A finished upload is
    evidence and stays (409)."""
    if upload.status != "uploading":
        raise Conflict("a finished upload cannot be deleted", code="upload_complete")
    if upload.locked_until and upload.locked_until > utcnow():
        raise Locked("the upload is being appended to; retry shortly")
    await end(session, storage, upload, "terminated")


async def stalled(session: AsyncSession, now: datetime, limit: int = 50) -> list[uuid.UUID]:
    """Ids of uploads that hold all their bytes but were never completed (the process died
    while completing them) and that no request holds."""
    rows = await session.scalars(
        select(Upload.id)
        .where(
            Upload.status == "uploading",
            Upload.offset == Upload.length,
            or_(Upload.locked_until.is_(None), Upload.locked_until < now),
        )
        .limit(limit)
    )
    return list(rows)


async def expired(session: AsyncSession, now: datetime, limit: int = 50) -> list[uuid.UUID]:
    """Ids of unfinished uploads past their expiry that no request holds."""
    rows = await session.scalars(
        select(Upload.id)
        .where(
            Upload.status == "uploading",
            Upload.expires_at < now,
            or_(Upload.locked_until.is_(None), Upload.locked_until < now),
        )
        .limit(limit)
    )
    return list(rows)


async def expire(session: AsyncSession, upload_id: uuid.UUID) -> Upload | None:
    """Mark one expired upload as such and return it, for the caller to delete its bytes
    before committing (a failed delete rolls the mark back); None if another process got
    there first or it came back to life. The status changes by a conditional update, so only
    one process deletes."""
    now = utcnow()
    claimed = await session.execute(
        update(Upload)
        .where(
            Upload.id == upload_id,
            Upload.status == "uploading",
            Upload.expires_at < now,
            or_(Upload.locked_until.is_(None), Upload.locked_until < now),
        )
        .values(status="expired", ended_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return None
    return await session.get(Upload, upload_id, populate_existing=True)
