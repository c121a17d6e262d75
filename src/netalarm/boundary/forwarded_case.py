"""The incident a forward from another server became, as the receiving side's services find
it: locked with its forward, its relay alarm (the one carrying the conversation), whether
the handing side has closed its case (its reporter then out of reach), which of its seats'
messages have not crossed yet, and where a case from the 110 link came from."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.boundary.document import NETWORK
from netalarm.boundary.models import LinkInbound
from netalarm.core.clock import iso
from netalarm.core.errors import Conflict, NotFound
from netalarm.incidents import service as incident_service
from netalarm.incidents.models import Alarm, Incident
from netalarm.timeline.models import TimelineEntry

# Channel of the alarm that carries the reporter's conversation over the link.
RELAY = "relay"


# How many merges in a row a forward's case is followed through.
MAX_MERGES = 8


def relay_key(forward_id: uuid.UUID) -> str:
    """The idempotency key of the relay alarm a forward made."""
    return f"link:{forward_id}"


async def locked(session: AsyncSession, forward_id: uuid.UUID, source: str) -> tuple[LinkInbound, Incident]:
    """The forward from `source` (else 404) and the incident its case lives on, locked: the one
    it became, or, once a seat here merged that into another, the one it was merged into (its
    relay alarm moved there, and the conversation goes on there)."""
    inbound = await session.get(LinkInbound, forward_id)
    if inbound is None or inbound.source != source:
        raise NotFound("no such forward", field="forward_id")
    incident = await incident_service.lock(session, inbound.incident_id)
    for _ in range(MAX_MERGES):
        if incident.status != "closed" or incident.merged_into is None:
            break
        incident = await incident_service.lock(session, incident.merged_into)
    await session.refresh(inbound)
    return inbound, incident


async def relay_alarm(session: AsyncSession, forward_id: uuid.UUID) -> Alarm:
    """The alarm the forward made, which carries its conversation over the link (on whichever
    incident it is now)."""
    alarm = await session.scalar(select(Alarm).where(Alarm.idempotency_key == relay_key(forward_id)))
    assert alarm is not None, "a forward taken here has its relay alarm"
    return alarm


async def closed_at_source(session: AsyncSession, incident_id: uuid.UUID) -> dict[str, Any] | None:
    """How the handing side last finished its case, if it did: `stage` (`resolved`, `closed`),
    its seat, outcome or disposition, case number, and when it was told here (`at`)."""
    own = await session.scalar(
        select(LinkInbound.source_case_number).where(LinkInbound.incident_id == incident_id)
    )
    entries = await session.scalars(
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident_id, TimelineEntry.type == "closed_at_source")
        .order_by(TimelineEntry.seq.desc())
    )
    # A case merged into this one brings its network case's news here too: only this one's own
    # network case says whether its reporter is reachable.
    entry = next((e for e in entries if e.data.get("source_case_number") == own), None)
    return {**entry.data, "at": iso(entry.at)} if entry is not None else None


async def check_reachable(session: AsyncSession, incident: Incident) -> None:
    """A seat's message to the reporter of a case that came over a link goes through the
    handing side, which takes none once it has closed its case: refused (409 `source_closed`)."""
    closed = await closed_at_source(session, incident.id)
    if closed is not None and closed.get("stage") == "closed":
        raise Conflict(
            f"the network case {closed.get('source_case_number')} was closed by seat {closed.get('seat')}: "
            "a message no longer reaches the reporter",
            code="source_closed",
        )


async def waiting_to_cross(session: AsyncSession, incident_id: uuid.UUID) -> set[uuid.UUID]:
    """On a case that came over the 110 link, the messages its seats wrote that the Internet
    side has not yet confirmed (the link down, or slow): not yet on their way to the reporter."""
    inbound = await session.scalar(select(LinkInbound).where(LinkInbound.incident_id == incident_id))
    if inbound is None or inbound.source != NETWORK:
        return set()
    entries = await session.scalars(
        select(TimelineEntry).where(
            TimelineEntry.incident_id == incident_id,
            TimelineEntry.type == "message",
            TimelineEntry.seq > inbound.pushed_seq,
            TimelineEntry.actor.startswith("seat:"),
        )
    )
    return {uuid.UUID(entry.data["message"]["id"]) for entry in entries}


async def from_network(session: AsyncSession, incident_id: uuid.UUID) -> dict[str, Any] | None:
    """On a case that came over the 110 link, where from: the network case number and centre,
    the seat that forwarded it, its note, and when the reporter raised the alarm (the case here
    was made when it arrived, perhaps long after); else None."""
    inbound = await session.scalar(select(LinkInbound).where(LinkInbound.incident_id == incident_id))
    if inbound is None or inbound.source != NETWORK:
        return None
    first = await session.scalar(
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident_id, TimelineEntry.type == "received_from_network")
        .limit(1)
    )
    told = first.data if first is not None else {}
    return {
        "case_number": inbound.source_case_number,
        "centre": told.get("source_centre"),
        "forwarded_by": told.get("forwarded_by"),
        "note": told.get("note"),
        "reported_at": told.get("reported_at"),
        "received_at": iso(inbound.received_at),
    }
