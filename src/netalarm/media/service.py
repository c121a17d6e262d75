"""Finished media: who may see which file, the list and shape clients see, downloads on the
record, and verification of a stored original against the hash on the timeline."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.core.clock import iso
from netalarm.core.errors import Invalid, NotFound
from netalarm.incidents import service as incident_service
from netalarm.incidents.models import Alarm, Incident
from netalarm.media.models import Media
from netalarm.media.storage import Storage
from netalarm.timeline import service as timeline_service


def original_key(media_id: uuid.UUID) -> str:
    return f"originals/{media_id}"


def preview_key(media_id: uuid.UUID) -> str:
    return f"previews/{media_id}.jpg"


async def for_incident(session: AsyncSession, incident: Incident) -> list[Media]:
    """The media of every alarm now in the incident (merged ones included), oldest first."""
    return (await for_incidents(session, [incident.id])).get(incident.id, [])


async def for_incidents(session: AsyncSession, incident_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Media]]:
    """Per incident, the media of every alarm now in it, oldest first (incidents without any
    are left out)."""
    if not incident_ids:
        return {}
    rows = await session.execute(
        select(Alarm.incident_id, Media)
        .join(Alarm, Alarm.id == Media.alarm_id)
        .where(Alarm.incident_id.in_(incident_ids))
        .order_by(Media.id)
    )
    found: dict[uuid.UUID, list[Media]] = {}
    for incident_id, media in rows:
        found.setdefault(incident_id, []).append(media)
    return found


async def known(session: AsyncSession, media_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of `media_ids` are media files here."""
    if not media_ids:
        return set()
    return set(await session.scalars(select(Media.id).where(Media.id.in_(media_ids))))


async def for_alarm(session: AsyncSession, alarm_id: uuid.UUID) -> list[Media]:
    rows = await session.scalars(select(Media).where(Media.alarm_id == alarm_id).order_by(Media.id))
    return list(rows)


async def in_incident(session: AsyncSession, incident: Incident, media_id: uuid.UUID) -> Media:
    """A file of one of the incident's alarms; 404 for any other id."""
    media = await session.scalar(
        select(Media)
        .join(Alarm, Alarm.id == Media.alarm_id)
        .where(Media.id == media_id, Alarm.incident_id == incident.id)
    )
    if media is None:
        raise NotFound("no such media", field="media_id")
    return media


async def of_alarm(session: AsyncSession, alarm_id: uuid.UUID, media_id: uuid.UUID) -> Media:
    media = await session.scalar(select(Media).where(Media.id == media_id, Media.alarm_id == alarm_id))
    if media is None:
        raise NotFound("no such media", field="media_id")
    return media


async def check_for_message(session: AsyncSession, alarm_id: uuid.UUID, media_ids: list[uuid.UUID]) -> None:
    """Media named in a chat message must be finished files of that message's alarm."""
    if not media_ids:
        return
    found = set(
        await session.scalars(select(Media.id).where(Media.id.in_(media_ids), Media.alarm_id == alarm_id))
    )
    missing = [str(m) for m in media_ids if m not in found]
    if missing:
        raise Invalid(f"media {', '.join(missing)} not uploaded to this alarm", field="media_ids")


async def record_download(
    session: AsyncSession,
    incident: Incident,
    media: Media,
    *,
    actor: str,
    variant: str,
    byte_range: str | None,
) -> None:
    """Put a seat's download on the timeline (the caller holds the incident's lock)."""
    await incident_service.record(
        session,
        incident,
        actor=actor,
        type="media_downloaded",
        data={
            "media_id": str(media.id),
            "filename": media.filename,
            "variant": variant,
            "range": byte_range,
        },
    )


async def hash_stored(storage: Storage, key: str) -> tuple[str, int]:
    """SHA-256 and size of a stored object, read in blocks."""
    digest, size = hashlib.sha256(), 0
    async for block in storage.read(key):
        digest.update(block)
        size += len(block)
    return digest.hexdigest(), size


@dataclass(frozen=True)
class Verified:
    ok: bool
    sha256_recorded: str | None
    sha256_stored: str | None
    size_stored: int | None
    timeline_seq: int | None
    timeline_ok: bool


async def verify(session: AsyncSession, storage: Storage, media: Media) -> Verified:
    """Hash the stored original again and compare it with the `media_attached` entry on the
    timeline it was recorded on; that timeline's chain must verify too."""
    entries = await timeline_service.entries(session, media.recorded_on)
    entry = next(
        (e for e in entries if e.type == "media_attached" and e.data.get("media_id") == str(media.id)), None
    )
    chain = timeline_service.verify_entries(entries)
    stored: tuple[str, int] | None = None
    if await storage.size(media.storage_key) is not None:
        stored = await hash_stored(storage, media.storage_key)
    recorded = entry.data.get("sha256") if entry else None
    ok = bool(chain.ok and stored and recorded == stored[0] and entry and entry.data.get("size") == stored[1])
    return Verified(
        ok=ok,
        sha256_recorded=recorded,
        sha256_stored=stored[0] if stored else None,
        size_stored=stored[1] if stored else None,
        timeline_seq=entry.seq if entry else None,
        timeline_ok=chain.ok,
    )


def public(media: Media, base: str) -> dict[str, Any]:
    """A file as clients see it; `base` is the URL of the list it belongs to."""
    hint = None
    if media.hint_lat is not None and media.hint_lon is not None:
        hint = {"lat": media.hint_lat, "lon": media.hint_lon, "accuracy_m": None, "source": "exif"}
    return {
        "id": str(media.id),
        "kind": media.kind,
        "content_type": media.content_type,
        "size": media.size,
        "sha256": media.sha256,
        "filename": media.filename,
        "alarm_id": str(media.alarm_id),
        "message_id": str(media.message_id) if media.message_id else None,
        "width": media.width,
        "height": media.height,
        "duration_s": media.duration_s,
        "location_hint": hint,
        "created_at": iso(media.created_at),
        "url": f"{base}/{media.id}",
        "preview_url": f"{base}/{media.id}/preview" if media.preview_key else None,
    }
