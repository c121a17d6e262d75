"""The intranet side of the 110 link: a pulled forward becomes an incident of the 110 centre
(once, however often it is pulled), and the progress of that incident is read back out of its
timeline for the puller to send."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select, update
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


async def receive(session: AsyncSession, forward: Forward, *, root: Centre, timezone: str) -> Received:
    """The incident `forward` became: made now in `received` at the centre whose jurisdiction
    holds its position (else `root`), with the network seat's note on its first entry; or the
    one made when it was pulled before."""
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
        type="received_from_network",
        data={
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
    """Per forward, the relayed entries of its incident the Internet side has not confirmed,
    in order."""
    rows = await session.execute(
        select(LinkInbound.forward_id, TimelineEntry, Incident.case_number)
        .join(TimelineEntry, TimelineEntry.incident_id == LinkInbound.incident_id)
        .join(Incident, Incident.id == LinkInbound.incident_id)
        .where(TimelineEntry.seq > LinkInbound.pushed_seq, TimelineEntry.type.in_(RELAYED_TYPES))
        .order_by(LinkInbound.received_at, TimelineEntry.seq)
        .limit(limit)
    )
    found: dict[uuid.UUID, list[Progress]] = defaultdict(list)
    for forward_id, entry, case_number in rows:
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
