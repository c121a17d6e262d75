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
from netalarm.messaging import service as messaging_service
from netalarm.messaging.models import Message
from netalarm.timeline import service as timeline_service
from netalarm.timeline.models import TimelineEntry

# Channel of the alarm that carries the reporter's conversation over the link.
RELAY = "relay"


# How many merges in a row a forward's case is followed through.
MAX_MERGES = 8


def relay_key(forward_id: uuid.UUID) -> str:
    """The idempotency key of the relay alarm a forward made."""
    return f"{RELAY_PREFIX}{forward_id}"


RELAY_PREFIX = "link:"


async def relay_alarms(session: AsyncSession, forward_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Per forward, the id of its relay alarm (the reporter's conversation), wherever it is now."""
    rows = await session.execute(
        select(Alarm.id, Alarm.idempotency_key).where(
            Alarm.idempotency_key.in_([relay_key(f) for f in forward_ids])
        )
    )
    return {uuid.UUID(str(key).removeprefix(RELAY_PREFIX)): alarm_id for alarm_id, key in rows}


async def forward_of(session: AsyncSession, alarm_id: uuid.UUID) -> LinkInbound | None:
    """The forward whose conversation the alarm carries, if it is a relay alarm."""
    key = await session.scalar(
        select(Alarm.idempotency_key).where(Alarm.id == alarm_id, Alarm.channel == RELAY)
    )
    if key is None or not key.startswith(RELAY_PREFIX):
        return None
    return await session.get(LinkInbound, uuid.UUID(key.removeprefix(RELAY_PREFIX)))


async def reply_follows(session: AsyncSession, incident: Incident, message: Message, *, actor: str) -> None:
    """A seat's message on `incident` in the conversation of a forward whose own case a seat
    here merged into it (as on the Internet side, each reporter's conversation goes on in the
    case their alarm went into): written on that forward's own case's timeline too (no event:
    it is told on `incident`), whose progress takes it to that reporter. Other messages: nothing."""
    inbound = await forward_of(session, message.alarm_id)
    if inbound is None or inbound.incident_id == incident.id:
        return
    merged = await incident_service.lock(session, inbound.incident_id)
    await timeline_service.append(
        session,
        incident_id=merged.id,
        actor=actor,
        type="message",
        data={"message": messaging_service.public(message)},
        publish=False,
    )


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


async def closed_at_source(
    session: AsyncSession, incident_id: uuid.UUID, *, source_case_number: str | None = None
) -> dict[str, Any] | None:
    """How the handing side last finished its case, if it did: `stage` (`resolved`, `closed`),
    its seat, outcome or disposition, case number, and when it was told here (`at`). The case is
    this incident's own, or the one numbered `source_case_number` there (a forward merged into it)."""
    own = source_case_number or await session.scalar(
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


async def check_reachable(session: AsyncSession, incident: Incident, alarm_id: uuid.UUID) -> None:
    """A seat's message to the reporter of a case that came over a link (in the conversation of
    `alarm_id`: the case's own forward's, or one merged into it) goes through the handing side,
    which takes none once it has closed that forward's case: refused (409 `source_closed`)."""
    inbound = await forward_of(session, alarm_id)
    number = inbound.source_case_number if inbound is not None else None
    closed = await closed_at_source(session, incident.id, source_case_number=number)
    if closed is not None and closed.get("stage") == "closed":
        raise Conflict(
            f"the network case {closed.get('source_case_number')} was closed by seat {closed.get('seat')}: "
            "a message no longer reaches the reporter",
            code="source_closed",
        )


async def waiting_to_cross(session: AsyncSession, incident_id: uuid.UUID) -> set[uuid.UUID]:
    """On a case that came over the 110 link, the messages its seats wrote that the Internet
    side has not yet confirmed (the link down, or slow): not yet on their way to the reporter.
    Each conversation on the case (its own forward's, and those of forwards merged into it)
    crosses with its forward's progress, from that forward's own case's timeline."""
    keys = await session.scalars(
        select(Alarm.idempotency_key).where(Alarm.incident_id == incident_id, Alarm.channel == RELAY)
    )
    forward_ids = [uuid.UUID(k.removeprefix(RELAY_PREFIX)) for k in keys if k and k.startswith(RELAY_PREFIX)]
    relays = await relay_alarms(session, forward_ids)
    inbounds = await session.scalars(
        select(LinkInbound).where(LinkInbound.forward_id.in_(forward_ids), LinkInbound.source == NETWORK)
    )
    waiting: set[uuid.UUID] = set()
    for inbound in inbounds:
        entries = await session.scalars(
            select(TimelineEntry).where(
                TimelineEntry.incident_id == inbound.incident_id,
                TimelineEntry.type == "message",
                TimelineEntry.seq > inbound.pushed_seq,
                TimelineEntry.actor.startswith("seat:"),
            )
        )
        conversation = str(relays.get(inbound.forward_id))
        waiting |= {
            uuid.UUID(e.data["message"]["id"])
            for e in entries
            if e.data["message"].get("alarm_id") == conversation
        }
    return waiting


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
