"""Media over HTTP for seats (the incident's files, each download on the timeline) and for
reporters (their own alarm's files). Originals and previews honour `Range`, so a browser's
video element can seek."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.exceptions import HTTPException

from netalarm.core.errors import NotFound
from netalarm.core.http import ReporterDep, SeatDep, Session, parse_uuid
from netalarm.incidents import service as incident_service
from netalarm.intake import service as intake_service
from netalarm.media import service as media_service
from netalarm.media.models import Media
from netalarm.media.ranges import ByteRange, RangeNotSatisfiable, parse_range
from netalarm.media.runtime import MediaDep
from netalarm.media.storage import Storage

router = APIRouter(tags=["media"])


def _ids(incident_id: str, media_id: str) -> tuple[uuid.UUID, uuid.UUID]:
    return parse_uuid(incident_id, "incident_id"), parse_uuid(media_id, "media_id")


@router.get("/api/v1/incidents/{incident_id}/media")
async def seat_list(incident_id: str, session: Session, seat: SeatDep) -> list[dict[str, Any]]:
    """The incident's files: `[{id, kind, content_type, size, sha256, …}]`, oldest first."""
    incident = await incident_service.get_visible(session, seat, parse_uuid(incident_id, "incident_id"))
    base = f"/api/v1/incidents/{incident.id}/media"
    return [media_service.public(m, base) for m in await media_service.for_incident(session, incident)]


async def _seat_download(
    incident_id: str,
    media_id: str,
    variant: str,
    request: Request,
    session: Session,
    seat: SeatDep,
    media: MediaDep,
) -> StreamingResponse:
    ids = _ids(incident_id, media_id)
    incident = await incident_service.get_visible(session, seat, ids[0], for_update=True)
    found = await media_service.in_incident(session, incident, ids[1])
    key, content_type, size = await _variant(media.storage, found, variant)
    wanted = _range(request, size)
    await media_service.record_download(
        session,
        incident,
        found,
        actor=seat.actor,
        variant=variant,
        byte_range=wanted.header if wanted else None,
    )
    await session.commit()
    return _stream(media.storage, key, content_type, size, wanted, found, variant)


@router.get("/api/v1/incidents/{incident_id}/media/{media_id}")
async def seat_original(
    incident_id: str, media_id: str, request: Request, session: Session, seat: SeatDep, media: MediaDep
) -> StreamingResponse:
    """The original bytes, unchanged (`Range` → 206). Each download is a timeline entry."""
    return await _seat_download(incident_id, media_id, "original", request, session, seat, media)


@router.get("/api/v1/incidents/{incident_id}/media/{media_id}/preview")
async def seat_preview(
    incident_id: str, media_id: str, request: Request, session: Session, seat: SeatDep, media: MediaDep
) -> StreamingResponse:
    """The JPEG thumbnail of a photo or poster frame of a video; 404 for sound."""
    return await _seat_download(incident_id, media_id, "preview", request, session, seat, media)


@router.get("/api/v1/incidents/{incident_id}/media/{media_id}/verify")
async def seat_verify(
    incident_id: str, media_id: str, session: Session, seat: SeatDep, media: MediaDep
) -> dict[str, Any]:
    """Hash the stored original again and compare it with the SHA-256 on the timeline:
    `{ok, sha256_recorded, sha256_stored, size, timeline_seq, timeline_ok}`. The check is
    itself recorded on the timeline."""
    ids = _ids(incident_id, media_id)
    incident = await incident_service.get_visible(session, seat, ids[0])
    found = await media_service.in_incident(session, incident, ids[1])
    result = await media_service.verify(session, media.storage, found)
    incident = await incident_service.lock(session, incident.id)
    await incident_service.record(
        session,
        incident,
        actor=seat.actor,
        type="media_verified",
        data={
            "media_id": str(found.id),
            "filename": found.filename,
            "ok": result.ok,
            "sha256_stored": result.sha256_stored,
        },
    )
    await session.commit()
    return {
        "ok": result.ok,
        "media_id": str(found.id),
        "sha256_recorded": result.sha256_recorded,
        "sha256_stored": result.sha256_stored,
        "size": result.size_stored,
        "timeline_seq": result.timeline_seq,
        "timeline_ok": result.timeline_ok,
    }


@router.get("/api/v1/alarms/{alarm_id}/media")
async def reporter_list(alarm_id: str, session: Session, reporter: ReporterDep) -> list[dict[str, Any]]:
    """The reporter's files on their own alarm."""
    found = await intake_service.get_for_reporter(session, parse_uuid(alarm_id, "alarm_id"), reporter)
    base = f"/api/v1/alarms/{found.alarm.id}/media"
    return [media_service.public(m, base) for m in await media_service.for_alarm(session, found.alarm.id)]


async def _reporter_download(
    alarm_id: str,
    media_id: str,
    variant: str,
    request: Request,
    session: Session,
    reporter: ReporterDep,
    media: MediaDep,
) -> StreamingResponse:
    found = await intake_service.get_for_reporter(session, parse_uuid(alarm_id, "alarm_id"), reporter)
    item = await media_service.of_alarm(session, found.alarm.id, parse_uuid(media_id, "media_id"))
    key, content_type, size = await _variant(media.storage, item, variant)
    wanted = _range(request, size)
    return _stream(media.storage, key, content_type, size, wanted, item, variant)


@router.get("/api/v1/alarms/{alarm_id}/media/{media_id}")
async def reporter_original(
    alarm_id: str, media_id: str, request: Request, session: Session, reporter: ReporterDep, media: MediaDep
) -> StreamingResponse:
    return await _reporter_download(alarm_id, media_id, "original", request, session, reporter, media)


@router.get("/api/v1/alarms/{alarm_id}/media/{media_id}/preview")
async def reporter_preview(
    alarm_id: str, media_id: str, request: Request, session: Session, reporter: ReporterDep, media: MediaDep
) -> StreamingResponse:
    return await _reporter_download(alarm_id, media_id, "preview", request, session, reporter, media)


async def _variant(storage: Storage, media: Media, variant: str) -> tuple[str, str, int]:
    if variant == "original":
        return media.storage_key, media.content_type, media.size
    if media.preview_key is None:
        raise NotFound("this file has no preview", field="media_id")
    size = await storage.size(media.preview_key)
    if size is None:
        raise NotFound("this file has no preview", field="media_id")
    return media.preview_key, "image/jpeg", size


def original_response(storage: Storage, media: Media, wanted: ByteRange | None = None) -> StreamingResponse:
    """The original of `media` (or the range `wanted` of it), as its own download doors send it."""
    return _stream(storage, media.storage_key, media.content_type, media.size, wanted, media, "original")


def _stream(
    storage: Storage,
    key: str,
    content_type: str,
    size: int,
    wanted: ByteRange | None,
    media: Media,
    variant: str,
) -> StreamingResponse:
    start, end = (wanted.start, wanted.end) if wanted else (0, size)
    name = media.filename if variant == "original" else f"{media.id}-preview.jpg"
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Length": str(end - start),
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    if variant == "original":
        headers["ETag"] = f'"{media.sha256}"'
    if wanted:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"

    async def body() -> AsyncIterator[bytes]:
        async for block in storage.read(key, start, end):
            yield block

    return StreamingResponse(
        body(), status_code=206 if wanted else 200, media_type=content_type, headers=headers
    )


def _range(request: Request, size: int) -> ByteRange | None:
    """The requested range; 416 (with the size, as RFC 9110 asks) when it is past the end."""
    try:
        return parse_range(request.headers.get("range"), size)
    except RangeNotSatisfiable as exc:
        headers = {"Content-Range": f"bytes */{size}", "Accept-Ranges": "bytes"}
        raise HTTPException(416, exc.message, headers=headers) from exc
