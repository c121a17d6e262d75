"""The receiving side of a hand-over (the intranet's 110 server, or a superior server): a
forward becomes an incident here (once, however often it comes), and the progress of that
incident is read back out of its timeline for the handing side."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts.models import Reporter
from netalarm.boundary.document import RELAYED_TYPES, Forward, Progress, relayed_data
from netalarm.boundary.models import LinkInbound
from netalarm.core.clock import utcnow
from netalarm.incidents import service as incident_service
from netalarm.incidents.case_numbers import take_case_numbers
from netalarm.incidents.models import Incident
from netalarm.routing import service as routing_service
from netalarm.routing.models import Centre
from netalarm.timeline.models import TimelineEntry

ACTOR = "system:110-link"


@dataclass(frozen=True)
class Received:
    incident_id: uuid.UUID
    case_number: str
    created: bool


async def receive(
    session: AsyncSession,
    forward: Forward,
    *,
    root: Centre,
    timezone: str,
    source: str = "network",
    first_type: str = "received_from_network",
) -> Received:
    """The incident `forward` (from `source`) became: made now in `received` at the centre
    whose jurisdiction holds its position (else `root`), with the forward's note on its first
    entry (`first_type`); or the one made when it came before."""
    known = await session.get(LinkInbound, forward.forward_id)
    if known is not None:
        incident = await session.get(Incident, known.incident_id)
        assert incident is not None
        return Received(incident.id, incident.case_number, created=False)
    location = forward.location
    centre = await routing_service.route(
        session, root, location.lat if location else None, location.lon if location else None
    )
    now = utcnow()
    [case_number] = (await take_case_numbers(session, {centre.code: 1}, now, timezone))[centre.code]
    reporter_id = None
    if forward.reporter is not None:
        # Checked and normalised by the Internet side when the reporter gave it.
        person = Reporter(**forward.reporter.model_dump(), created_at=now)
        session.add(person)
        await session.flush()
        reporter_id = person.id
    incident = incident_service.new_incident(
        case_number=case_number,
        centre=centre,
        reporter_id=reporter_id,
        category=forward.category,
        description=forward.description,
        silent=forward.silent,
        location=incident_service.Location(**location.model_dump()) if location else None,
        at=now,
    )
    incident.priority = forward.priority
    session.add(incident)
    await session.flush()
    session.add(
        LinkInbound(
            forward_id=forward.forward_id,
            source=source,
            incident_id=incident.id,
            source_case_number=forward.case_number,
            pushed_seq=0,
            received_at=now,
        )
    )
    await incident_service.record(
        session,
        incident,
        actor=ACTOR,
        type=first_type,
        data={
            "source": source,
            "case_number": case_number,
            "source_case_number": forward.case_number,
            "source_centre": forward.centre,
            "forwarded_by": forward.forwarded_by,
            "note": forward.note,
            "priority": forward.priority,
            "category": forward.category,
            "silent": forward.silent,
            "centre": centre.code,
            "reported_at": forward.reported_at.isoformat(),
            "media_count": forward.media_count,
            "identity_given": forward.reporter is not None,
        },
    )
    return Received(incident.id, case_number, created=True)


async def unsent(session: AsyncSession, limit: int = 500) -> dict[uuid.UUID, list[Progress]]:
    """Per forward of the 110 link, the relayed entries of its incident the Internet side has
    not confirmed, in order."""
    rows = await session.execute(
        select(LinkInbound.forward_id, LinkInbound.pushed_seq).where(
            LinkInbound.source == "network",
            exists().where(
                TimelineEntry.incident_id == LinkInbound.incident_id,
                TimelineEntry.seq > LinkInbound.pushed_seq,
                TimelineEntry.type.in_(RELAYED_TYPES),
            ),
        )
    )
    return await progress(session, {forward_id: seq for forward_id, seq in rows}, limit=limit)


async def progress(
    session: AsyncSession, after: dict[uuid.UUID, int], *, source: str | None = None, limit: int = 500
) -> dict[uuid.UUID, list[Progress]]:
    """Per forward in `after` (from `source`, if given), the relayed entries of its incident
    after the seq given, in order. Forwards unknown here are left out."""
    if not after:
        return {}
    query = (
        select(LinkInbound.forward_id, TimelineEntry, Incident.case_number)
        .join(TimelineEntry, TimelineEntry.incident_id == LinkInbound.incident_id)
        .join(Incident, Incident.id == LinkInbound.incident_id)
        .where(LinkInbound.forward_id.in_(list(after)), TimelineEntry.type.in_(RELAYED_TYPES))
        .order_by(LinkInbound.received_at, TimelineEntry.seq)
    )
    if source is not None:
        query = query.where(LinkInbound.source == source)
    found: dict[uuid.UUID, list[Progress]] = defaultdict(list)
    count = 0
    for forward_id, entry, case_number in await session.execute(query):
        if entry.seq <= after[forward_id] or count >= limit:
            continue
        count += 1
        found[forward_id].append(
            Progress(
                seq=entry.seq,
                type=entry.type,
                at=entry.at,
                actor=entry.actor,
                case_number=case_number,
                data=relayed_data(entry.data),
            )
        )
    return dict(found)


async def confirm(session: AsyncSession, forward_id: uuid.UUID, seq: int) -> None:
    """The Internet side has recorded the entries up to `seq`."""
    await session.execute(
        update(LinkInbound)
        .where(LinkInbound.forward_id == forward_id, LinkInbound.pushed_seq < seq)
        .values(pushed_seq=seq)
    )
