"""The Internet side of the 110 link: a network seat forwards an incident, the intranet pulls
what waits, and the 110 seat's progress comes back onto this incident's timeline."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts.models import Reporter
from netalarm.accounts.service import SeatIdentity
from netalarm.boundary.document import Forward, Progress, relayed_data
from netalarm.boundary.models import LinkForward
from netalarm.core.clock import iso, utcnow
from netalarm.core.errors import Conflict, Invalid, NotFound
from netalarm.core.ids import uuid7
from netalarm.incidents import service as incident_service
from netalarm.incidents.lifecycle import transition
from netalarm.incidents.models import Incident
from netalarm.intake.schemas import LocationIn, ReporterIn
from netalarm.routing import service as routing_service

ACTOR = "system:110-link"
MAX_NOTE = 10_000
# Statuses an incident may be forwarded from: taken by a seat, disposal not finished.
FORWARDABLE = ("accepted", "dispatched")
# 110 progress that ends the disposal: the Internet incident, still dispatched, is resolved
# with the 110 seat's outcome so its seat can close the case.
FINISHING = ("resolved", "closed")


async def forward(
    session: AsyncSession, seat: SeatIdentity, incident: Incident, note: str | None, *, enabled: bool
) -> LinkForward:
    """Forward the incident (locked by the caller) to the 110 seat, with the seat's `note`
    for it. An accepted incident becomes dispatched (disposal is now 110's); a dispatched
    one stays so. Refused (409) when the link is off, the incident is in another status,
    or it was forwarded before; 422 without a note."""
    if not enabled:
        raise Conflict(
            "the 110 link is not configured on this server (NETALARM_LINK_TOKEN)", code="no_110_link"
        )
    text = (note or "").strip()
    if not text:
        raise Invalid("note is required: say what the 110 seat must know", field="note")
    if len(text) > MAX_NOTE:
        raise Invalid(f"note must be at most {MAX_NOTE} characters", field="note")
    if incident.status not in FORWARDABLE:
        raise Conflict(
            f"only an accepted or dispatched incident can be forwarded to 110, not a {incident.status} one",
            code="illegal_transition",
            details={"status": incident.status, "accepted_by": incident.accepted_by},
        )
    if await session.scalar(select(LinkForward.id).where(LinkForward.incident_id == incident.id)):
        raise Conflict("the incident was already forwarded to 110", code="already_forwarded")
    previous = incident.status
    if previous == "accepted":
        transition(incident, "dispatch")
        incident.dispatch_note = text
    document = await _document(session, seat, incident, text)
    row = LinkForward(
        id=document.forward_id,
        incident_id=incident.id,
        seat_username=seat.username,
        note=text,
        document=document.model_dump(mode="json"),
        created_at=document.forwarded_at,
        applied_seq=0,
    )
    session.add(row)
    await incident_service.record(
        session,
        incident,
        actor=seat.actor,
        type="forwarded_110",
        data={
            "forward_id": str(row.id),
            "note": text,
            "previous_status": previous,
            # Forwarding hands the reporter's identity to the 110 seat: a read, recorded.
            "identity_shared": document.reporter is not None,
        },
    )
    return row


async def _document(session: AsyncSession, seat: SeatIdentity, incident: Incident, note: str) -> Forward:
    centre = await routing_service.get(session, incident.centre_id)
    reporter = await session.get(Reporter, incident.reporter_id) if incident.reporter_id else None
    given = reporter is not None and any((reporter.name, reporter.phone, reporter.id_number))
    counts = await incident_service.queue_counts(session, [incident.id])
    location = incident_service.location_of(incident)
    return Forward(
        forward_id=uuid7(),
        case_number=incident.case_number,
        centre=centre.code,
        centre_name=centre.name,
        priority=incident.priority,
        category=incident.category,
        description=incident.description,
        silent=incident.silent,
        location=LocationIn(**location) if location else None,
        reported_at=incident.created_at,
        forwarded_at=utcnow(),
        forwarded_by=seat.username,
        note=note,
        reporter=ReporterIn(
            name=reporter.name, phone=reporter.phone, id_number=reporter.id_number, language=reporter.language
        )
        if reporter is not None and given
        else None,
        media_count=counts[incident.id]["media_count"],
    )


async def waiting(session: AsyncSession, limit: int = 50) -> list[dict[str, Any]]:
    """Forwards the 110 side has not reported as received, oldest first: what it pulls. One
    it fetched but did not confirm comes again (the intranet keeps one incident per forward)."""
    rows = await session.scalars(
        select(LinkForward.document)
        .where(LinkForward.received_at.is_(None))
        .order_by(LinkForward.created_at, LinkForward.id)
        .limit(limit)
    )
    return list(rows)


async def waiting_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).where(LinkForward.received_at.is_(None))) or 0)


async def take_progress(session: AsyncSession, forward_id: uuid.UUID, updates: list[Progress]) -> int:
    """Record the 110 seat's progress on the forwarded incident: each entry once, in `seq`
    order, however often it is sent (entries at or below the last applied are skipped).
    Returns the last applied seq. 404 for an unknown forward."""
    row = await session.get(LinkForward, forward_id)
    if row is None:
        raise NotFound("no such forward", field="forward_id")
    # The incident lock orders these entries with every other one, and two pushes of the
    # same progress one after the other: the second finds them applied.
    incident = await incident_service.lock(session, row.incident_id)
    await session.refresh(row)
    for update in sorted(updates, key=lambda u: u.seq):
        if update.seq <= row.applied_seq:
            continue
        await _apply(session, row, incident, update)
        row.applied_seq = update.seq
    await session.flush()
    return row.applied_seq


async def _apply(session: AsyncSession, row: LinkForward, incident: Incident, update: Progress) -> None:
    if update.type == "received_from_network" and row.received_at is None:
        row.received_at = utcnow()
        row.remote_case_number = update.case_number
    data = {
        "stage": update.type,
        "case_number_110": update.case_number,
        "by": update.actor,
        "at_110": iso(update.at),
        **relayed_data(update.data),
    }
    incident.updated_at = utcnow()
    await incident_service.record(session, incident, actor=ACTOR, type="link_110", data=data)
    if update.type in FINISHING and incident.status == "dispatched":
        outcome = update.data.get("outcome") or f"110 closed the case as {update.data.get('disposition')}"
        transition(incident, "resolve")
        incident.outcome = str(outcome)
        await incident_service.record(
            session, incident, actor=ACTOR, type="resolved", data={"outcome": incident.outcome, "by": "110"}
        )
