"""A stored original made into a media file: its real type from its leading bytes, a full
decode, the derived preview, its SHA-256 — and the `media_attached` entry that puts the hash
on the incident's timeline. The ways a file arrives share these steps: a reporter's finished
upload (`uploads.complete`), and a file handed over by another server (the 110 link's
fetcher, a subordinate's sender), which is first stored with `arrive`, `take` (once, or
again after a break-off) and `complete`."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.core.clock import utcnow
from netalarm.core.errors import UnsupportedMedia
from netalarm.incidents import service as incident_service
from netalarm.incidents.models import Incident
from netalarm.media import derive
from netalarm.media import service as media_service
from netalarm.media.models import Media
from netalarm.media.sniff import HEAD_BYTES, Sniffed, sniff
from netalarm.media.storage import State, Storage

# The id of an `arrive` staging starts so; nothing else's does (tus uploads are named by UUID).
STAGING_PREFIX = "in-"
# A hand-over lasts minutes; a staging untouched this long lost its process (a crash, a kill).
STAGING_LOST_AFTER = timedelta(hours=6)


class WrongBytes(Exception):
    """What arrived is not the file announced: its length or its SHA-256 differ."""

    def __init__(self, size: int, sha256: str, *, expected_size: int, expected_sha256: str) -> None:
        self.size, self.sha256 = size, sha256
        self.length_differs = size != expected_size
        super().__init__(
            f"{size} of {expected_size} bytes arrived"
            if self.length_differs
            else f"its bytes do not have the SHA-256 announced ({expected_sha256})"
        )


@dataclass
class Arriving:
    """A file coming from another server, maybe over several requests: its staging, the
    storage's state of it, how many bytes are in, and their running SHA-256."""

    media_id: uuid.UUID
    staging: str
    state: State
    offset: int = 0
    digest: Any = field(default_factory=hashlib.sha256)
    # When bytes last went in: past STAGING_LOST_AFTER the sweeper takes the staging.
    touched: datetime = field(default_factory=utcnow)


async def arrive(storage: Storage, media_id: uuid.UUID) -> Arriving:
    """Start taking the original of `media_id`. Each call has a staging of its own, so two
    processes taking the same file at once do not mix their bytes: the last to finish
    replaces the other's equal copy."""
    staging = f"{STAGING_PREFIX}{media_id}-{secrets.token_hex(4)}"
    return Arriving(media_id, staging, await storage.begin(staging, media_service.original_key(media_id)))


async def take(storage: Storage, arriving: Arriving, blocks: AsyncIterator[bytes]) -> None:
    """Add `blocks` after the bytes in so far, hashing them as they come. What `blocks`
    yields before it ends is kept, early or not (it should end, not raise, when its source
    breaks off); if it raises, the bytes of this call are dropped."""
    digest = arriving.digest.copy()

    async def hashed() -> AsyncIterator[bytes]:
        async for block in blocks:
            digest.update(block)
            yield block

    before = arriving.state
    try:
        appended = await storage.append(arriving.staging, before, arriving.offset, hashed())
    except BaseException:
        await storage.rollback(arriving.staging, before, before, arriving.offset)
        raise
    await storage.settle(before, appended.state)
    arriving.state, arriving.offset, arriving.digest = appended.state, appended.offset, digest
    arriving.touched = utcnow()


async def complete(storage: Storage, arriving: Arriving, *, size: int, sha256: str) -> None:
    """Make the arrived bytes the original if they are the `size` bytes with the SHA-256
    `sha256` announced; else `WrongBytes`, and nothing is kept."""
    got = arriving.digest.hexdigest()
    if arriving.offset != size or got != sha256:
        await storage.abort(arriving.staging, arriving.state)
        raise WrongBytes(arriving.offset, got, expected_size=size, expected_sha256=sha256)
    await storage.finish(arriving.staging, arriving.state)


async def sweep_lost(storage: Storage, now: datetime) -> int:
    """Delete the stagings of `arrive` calls that a process left behind when it died: the only
    trace of a hand-over cut off mid-file, since no row records it. Returns how many."""
    return await storage.sweep_staging(STAGING_PREFIX, now - STAGING_LOST_AFTER)


async def discard(storage: Storage, media_id: uuid.UUID) -> None:
    """Delete a stored original and its preview (a file refused after `complete`)."""
    await storage.delete(media_service.original_key(media_id))
    await storage.delete(media_service.preview_key(media_id))


def accepted_type(head: bytes) -> Sniffed:
    """The type of a file that starts with `head` (at least `HEAD_BYTES` of it, or all of a
    smaller file); 415 if it is none that is accepted."""
    sniffed = sniff(head)
    if sniffed is None:
        raise UnsupportedMedia(
            "only JPEG, PNG, WebP, HEIC, MP4, QuickTime, WebM, Ogg, M4A/AAC, MP3 and WAV files are accepted",
            field="file",
        )
    return sniffed


@dataclass(frozen=True)
class Examined:
    """What the checks found in a stored original (`media_service.original_key(id)`)."""

    sha256: str
    size: int
    preview_key: str | None
    inspected: derive.Inspected


async def examine(storage: Storage, media_id: uuid.UUID, *, sha256: str | None = None) -> Examined:
    """Check the stored original of `media_id` and store its preview: 415 for a type that is
    not accepted or a file that does not decode. `sha256`, if given, is the hash of every byte
    stored, taken while they were stored (else the file is read back to hash it)."""
    key = media_service.original_key(media_id)
    inspected = await derive.inspect(storage, key, accepted_type(await storage.head(key, HEAD_BYTES)))
    if sha256 is None:
        sha256, size = await media_service.hash_stored(storage, key)
    else:
        size = await storage.size(key) or 0
    preview = None
    if inspected.preview:
        preview = media_service.preview_key(media_id)
        await storage.put(preview, inspected.preview)
    return Examined(sha256=sha256, size=size, preview_key=preview, inspected=inspected)


def media_row(
    media_id: uuid.UUID,
    examined: Examined,
    *,
    alarm_id: uuid.UUID,
    reporter_id: uuid.UUID,
    message_id: uuid.UUID | None,
    incident: Incident,
    filename: str,
) -> Media:
    """The media file of an examined original, on `alarm_id`, recorded on `incident`."""
    inspected = examined.inspected
    return Media(
        id=media_id,
        alarm_id=alarm_id,
        reporter_id=reporter_id,
        message_id=message_id,
        recorded_on=incident.id,
        kind=inspected.kind,
        content_type=inspected.content_type,
        filename=filename,
        size=examined.size,
        sha256=examined.sha256,
        storage_key=media_service.original_key(media_id),
        preview_key=examined.preview_key,
        width=inspected.width,
        height=inspected.height,
        duration_s=inspected.duration_s,
        hint_lat=inspected.gps[0] if inspected.gps else None,
        hint_lon=inspected.gps[1] if inspected.gps else None,
        created_at=utcnow(),
    )


async def record_attached(
    session: AsyncSession,
    incident: Incident,
    media: Media,
    *,
    actor: str,
    source_message_id: uuid.UUID | None = None,
) -> None:
    """The file's hash on the timeline of `incident` (locked by the caller), and its EXIF
    position as a location hint. `source_message_id`: for a file that came from another
    server, the message it was sent with there."""
    data: dict[str, Any] = {
        "media_id": str(media.id),
        "alarm_id": str(media.alarm_id),
        "message_id": str(media.message_id) if media.message_id else None,
        "filename": media.filename,
        "kind": media.kind,
        "content_type": media.content_type,
        "size": media.size,
        "sha256": media.sha256,
        "duration_s": media.duration_s,
    }
    if source_message_id is not None:
        data["source_message_id"] = str(source_message_id)
    await incident_service.record(session, incident, actor=actor, type="media_attached", data=data)
    if media.hint_lat is not None and media.hint_lon is not None:
        await incident_service.record(
            session,
            incident,
            actor=actor,
            type="location_hint",
            data={
                "media_id": str(media.id),
                "lat": media.hint_lat,
                "lon": media.hint_lon,
                "accuracy_m": None,
                "source": "exif",
            },
        )
