"""The receiving side's files of a hand-over: which of the handing side's files to take, each
taken (into the message it was sent with, whichever of the two comes second) or refused."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.boundary import forwarded_case
from netalarm.boundary.document import RemoteMedia, relayed_message_key
from netalarm.boundary.models import LinkInbound
from netalarm.incidents import service as incident_service
from netalarm.incidents.models import Incident
from netalarm.media import files
from netalarm.media import service as media_service
from netalarm.media.models import Media
from netalarm.messaging import service as messaging_service
from netalarm.timeline.models import TimelineEntry


async def wanted_media(
    session: AsyncSession, listed: dict[uuid.UUID, list[RemoteMedia]], *, source: str
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Of the files the handing side lists per forward, those to take: the forward is from
    `source`, its incident is open here, and the file is neither here nor refused here before
    (`media_refused`). Forwards with nothing to take are left out."""
    if not listed:
        return {}
    rows = await session.execute(
        select(LinkInbound.forward_id, LinkInbound.incident_id)
        .join(Incident, Incident.id == LinkInbound.incident_id)
        .where(
            LinkInbound.forward_id.in_(list(listed)),
            LinkInbound.source == source,
            Incident.status != "closed",
        )
    )
    incidents = {forward_id: incident_id for forward_id, incident_id in rows}
    have = await media_service.known(session, [m.id for f in incidents for m in listed[f]])
    said = await session.scalars(
        select(TimelineEntry.data).where(
            TimelineEntry.incident_id.in_(list(incidents.values())), TimelineEntry.type == "media_refused"
        )
    )
    refused = {str(data.get("media_id")) for data in said}
    wanted = {
        forward_id: [m.id for m in listed[forward_id] if m.id not in have and str(m.id) not in refused]
        for forward_id in incidents
    }
    return {forward_id: ids for forward_id, ids in wanted.items() if ids}


async def take_media(
    session: AsyncSession,
    forward_id: uuid.UUID,
    remote: RemoteMedia,
    examined: files.Examined,
    *,
    source: str,
    actor: str,
) -> Media | None:
    """Attach a file of the handing side's incident — fetched, stored under its original key
    and checked here (`files.examine`) — to the incident `forward_id` (from `source`) became:
    on its relay alarm, the hash on its timeline, in the message it was sent with if that has
    come over already (else that message takes it when it comes). None when it is here already."""
    _, incident = await forwarded_case.locked(session, forward_id, source)
    if await media_service.known(session, [remote.id]):
        return None
    alarm = await forwarded_case.relay_alarm(session, forward_id)
    message = None
    if remote.message_id is not None:
        found = await messaging_service.by_key(session, relayed_message_key(source, remote.message_id))
        message = found if found is not None and found.incident_id == incident.id else None
    media = files.media_row(
        remote.id,
        examined,
        alarm_id=alarm.id,
        reporter_id=alarm.reporter_id,
        message_id=message.id if message else None,
        incident=incident,
        filename=remote.filename,
    )
    session.add(media)
    await session.flush()
    if message is not None:
        await messaging_service.attach_media(session, message.id, media.id)
    await files.record_attached(session, incident, media, actor=actor, source_message_id=remote.message_id)
    return media


async def refuse_media(
    session: AsyncSession, forward_id: uuid.UUID, remote: RemoteMedia, reason: str, *, source: str, actor: str
) -> None:
    """Say on the incident `forward_id` became that a file of the handing side was not taken,
    and why: `wanted_media` no longer asks for it."""
    inbound, incident = await forwarded_case.locked(session, forward_id, source)
    await incident_service.record(
        session,
        incident,
        actor=actor,
        type="media_refused",
        data={
            "media_id": str(remote.id),
            "filename": remote.filename,
            "kind": remote.kind,
            "size": remote.size,
            "sha256": remote.sha256,
            "source_case_number": inbound.source_case_number,
            "reason": reason,
        },
    )


async def sent_with(session: AsyncSession, incident: Incident, source_id: uuid.UUID) -> list[Media]:
    """Files already attached to `incident` that the handing side sent with its message
    `source_id`, not yet tied to a message here."""
    said = await session.scalars(
        select(TimelineEntry.data).where(
            TimelineEntry.incident_id == incident.id, TimelineEntry.type == "media_attached"
        )
    )
    ids = [uuid.UUID(d["media_id"]) for d in said if d.get("source_message_id") == str(source_id)]
    if not ids:
        return []
    found = await session.scalars(
        select(Media).where(Media.id.in_(ids), Media.message_id.is_(None)).order_by(Media.id)
    )
    return list(found)
