"""The handing side's files of a forwarded case, for the other side (the 110 server, or the
superior): which files its incident has, and each one handed over, on its timeline."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.boundary.document import ACTORS, RemoteMedia
from netalarm.boundary.models import LinkForward
from netalarm.core.errors import NotFound
from netalarm.incidents import service as incident_service
from netalarm.media import service as media_service
from netalarm.media.models import Media
from netalarm.media.ranges import ByteRange, parse_range


async def media_of(
    session: AsyncSession, forward_ids: list[uuid.UUID], *, target: str
) -> dict[uuid.UUID, list[RemoteMedia]]:
    """Per forward to `target` among `forward_ids`, the files of its incident so far, oldest
    first (unknown forwards and incidents without files are left out)."""
    rows = await session.execute(
        select(LinkForward.id, LinkForward.incident_id).where(
            LinkForward.id.in_(forward_ids), LinkForward.target == target
        )
    )
    incidents = {forward_id: incident_id for forward_id, incident_id in rows}
    media = await media_service.for_incidents(session, list(incidents.values()))
    return {
        forward_id: [
            RemoteMedia(
                id=m.id,
                filename=m.filename,
                kind=m.kind,
                size=m.size,
                sha256=m.sha256,
                message_id=m.message_id,
            )
            for m in media[incident_id]
        ]
        for forward_id, incident_id in incidents.items()
        if incident_id in media
    }


async def hand_over_file(
    session: AsyncSession,
    forward_id: uuid.UUID,
    media_id: uuid.UUID,
    *,
    target: str,
    range_header: str | None = None,
) -> tuple[Media, ByteRange | None]:
    """A file of the incident forwarded to `target`, about to be sent there, and the part of
    it asked for by `range_header` (None: all; `RangeNotSatisfiable` past its end): the
    hand-over is on that incident's timeline (a read by the link). 404 for an unknown
    forward, or a file of any other incident."""
    row = await session.get(LinkForward, forward_id)
    if row is None or row.target != target:
        raise NotFound("no such forward", field="forward_id")
    incident = await incident_service.lock(session, row.incident_id)
    media = await media_service.in_incident(session, incident, media_id)
    wanted = parse_range(range_header, media.size)
    await media_service.record_download(
        session,
        incident,
        media,
        actor=ACTORS[target],
        variant=f"link_{target}",
        byte_range=wanted.header if wanted else None,
    )
    return media, wanted
