"""What a seat does to an incident: accept, take over from another seat, dispatch, resolve,
close, transfer, escalate, forward to 110, merge, changes of priority and category, and notes
on its record. Each use
case locks the incident, checks, changes, and writes its timeline entry in the caller's
transaction."""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts.service import SeatIdentity
from netalarm.boundary import outside
from netalarm.core.clock import utcnow
from netalarm.core.errors import Conflict, Invalid
from netalarm.federation import service as federation_service
from netalarm.incidents import service as incident_service
from netalarm.incidents.lifecycle import CATEGORIES, PRIORITIES, check_disposition, transition
from netalarm.incidents.models import Alarm, Incident
from netalarm.routing import service as routing_service
from netalarm.routing.models import Centre
from netalarm.timeline.models import TimelineEntry

MAX_TEXT = 10_000


def _text(value: str | None, field: str, *, required: bool = False) -> str | None:
    if value is None or not value.strip():
        if required:
            raise Invalid(f"{field} is required", field=field)
        return None
    if len(value) > MAX_TEXT:
        raise Invalid(f"{field} must be at most {MAX_TEXT} characters", field=field)
    return value.strip()


async def classify(
    session: AsyncSession,
    seat: SeatIdentity,
    incident: Incident,
    *,
    priority: str | None = None,
    category: str | None = None,
) -> None:
    """Set priority and category (either may be None: unchanged). Allowed until closed."""
    if priority is not None and priority not in PRIORITIES:
        raise Invalid(f"priority must be one of {', '.join(PRIORITIES)}", field="priority")
    if category is not None and category not in CATEGORIES:
        raise Invalid(f"category must be one of {', '.join(CATEGORIES)}", field="category")
    changes = {
        name: value
        for name, value in (("priority", priority), ("category", category))
        if value is not None and getattr(incident, name) != value
    }
    if not changes:
        return
    if incident.status == "closed":
        raise Conflict("a closed incident cannot be changed", code="illegal_transition")
    await incident_service.reclassify(session, incident, changes, actor=seat.actor)


async def note(
    session: AsyncSession, seat: SeatIdentity, incident_id: uuid.UUID, text: str | None
) -> TimelineEntry:
    """A seat's note on the incident's record (what happened on the ground, a call made): a
    `seat_note` entry, for the seats only, never the reporter. Allowed in every status, a
    closed case included (a late addition is an entry of its own; nothing is rewritten)."""
    written = _text(text, "text", required=True)
    assert written is not None
    incident = await incident_service.get_visible(session, seat, incident_id, for_update=True)
    return await incident_service.record(
        session, incident, actor=seat.actor, type="seat_note", data={"seat": seat.username, "text": written}
    )


async def act(
    session: AsyncSession,
    seat: SeatIdentity,
    incident_id: uuid.UUID,
    action: str,
    *,
    note: str | None = None,
    outcome: str | None = None,
    disposition: str | None = None,
    centre: str | None = None,
    into: uuid.UUID | None = None,
    priority: str | None = None,
    category: str | None = None,
    link_110: bool = False,
    superior: bool = False,
) -> Incident:
    """Run one action of the DESIGN.md contract. Illegal ones raise 409 before any change;
    the whole use case is one transaction, so a refusal leaves nothing behind. `link_110`:
    whether this server has a 110 link to forward over; `superior`: whether it has a
    superior server to escalate to from its root centre."""
    incident = await incident_service.get_visible(session, seat, incident_id, for_update=True)
    await classify(session, seat, incident, priority=priority, category=category)
    if action == "accept":
        await _accept(session, seat, incident)
    elif action == "take-over":
        await _take_over(session, seat, incident)
    elif action == "dispatch":
        transition(incident, "dispatch")
        incident.dispatch_note = _text(note, "note")
        await incident_service.record(
            session, incident, actor=seat.actor, type="dispatched", data={"note": incident.dispatch_note}
        )
    elif action == "resolve":
        text = _text(outcome, "outcome", required=True)
        transition(incident, "resolve")
        incident.outcome = text
        await incident_service.record(
            session, incident, actor=seat.actor, type="resolved", data={"outcome": text}
        )
    elif action == "close":
        if disposition is None:
            raise Invalid("disposition is required", field="disposition")
        check_disposition(incident, disposition)
        transition(incident, "close")
        incident.disposition = disposition
        await incident_service.record(
            session, incident, actor=seat.actor, type="closed", data={"disposition": disposition}
        )
    elif action == "transfer":
        await _transfer(session, seat, incident, centre)
    elif action == "escalate":
        source = await routing_service.get(session, incident.centre_id)
        if source.parent_id is None and superior:
            await federation_service.escalate_up(session, incident, actor=seat.actor, reason="manual")
        else:
            await escalate(session, incident, actor=seat.actor, reason="manual")
    elif action == "forward-110":
        await outside.forward(session, seat, incident, note, enabled=link_110)
    elif action == "merge":
        await _merge(session, seat, incident, into)
    elif action not in ("classify",):
        raise Invalid(f"unknown action {action}", field="action")
    return incident


async def _accept(session: AsyncSession, seat: SeatIdentity, incident: Incident) -> None:
    if incident.status != "received":
        raise Conflict(
            f"already {incident.status}" + (f" by {incident.accepted_by}" if incident.accepted_by else ""),
            code="already_accepted" if incident.accepted_by else "illegal_transition",
            details={"status": incident.status, "accepted_by": incident.accepted_by},
        )
    transition(incident, "accept")
    incident.accepted_by = seat.username
    waited = (incident.accepted_at - incident.created_at).total_seconds() if incident.accepted_at else None
    await incident_service.record(
        session, incident, actor=seat.actor, type="accepted", data={"seat": seat.username, "waited_s": waited}
    )


# Statuses in which a seat holds the case (`accepted_by`), so another may take it over.
HELD_STATUSES = ("accepted", "dispatched", "resolved")


async def _take_over(session: AsyncSession, seat: SeatIdentity, incident: Incident) -> None:
    """The case, held by another seat (gone home, its console lost), becomes this seat's: its
    messages and alerts come here from now on. Nothing else changes: status, times and SLA."""
    if incident.status not in HELD_STATUSES:
        raise Conflict(
            f"only a case a seat holds can be taken over, not a {incident.status} one",
            code="illegal_transition",
            details={"status": incident.status},
        )
    if incident.accepted_by == seat.username:
        raise Conflict("this seat already holds the case", code="already_yours")
    previous = incident.accepted_by
    incident.accepted_by = seat.username
    incident.updated_at = utcnow()
    incident.version += 1
    await incident_service.record(
        session, incident, actor=seat.actor, type="taken_over", data={"seat": seat.username, "from": previous}
    )


async def _transfer(session: AsyncSession, seat: SeatIdentity, incident: Incident, code: str | None) -> None:
    """Hand the incident to another centre, which must accept it anew; history stays."""
    if not code:
        raise Invalid("centre is required", field="centre")
    if incident.status == "closed":
        raise Conflict("a closed incident cannot be transferred", code="illegal_transition")
    target = await routing_service.get_by_code(session, code)
    if target.id == incident.centre_id:
        raise Conflict(f"the incident already belongs to {code}", field="centre", code="illegal_transition")
    source = await routing_service.get(session, incident.centre_id)
    await incident_service.record(
        session,
        incident,
        actor=seat.actor,
        type="transferred",
        data={
            "from": source.code,
            "to": target.code,
            "previous_status": incident.status,
            "case_number": incident.case_number,
        },
    )
    _hand_over(incident, target)
    await incident_service.record(
        session,
        incident,
        actor=seat.actor,
        type="received_by_transfer",
        data={"centre": target.code, "from": source.code, "case_number": incident.case_number},
    )


def _hand_over(incident: Incident, target: Centre) -> None:
    """The incident now belongs to `target`, which must accept it anew; its SLA clock restarts."""
    now = utcnow()
    incident.centre_id = target.id
    incident.status, incident.accepted_by, incident.accepted_at = "received", None, None
    incident.sla_started_at, incident.sla_alerted_at, incident.sla_escalated_at = now, None, None
    incident.updated_at = now
    incident.version += 1


async def escalate(session: AsyncSession, incident: Incident, *, actor: str, reason: str) -> Centre:
    """Hand the incident (locked by the caller) to the parent of its centre; returns it.
    A seat does it by hand (`reason` "manual"); the SLA watchdog when nobody accepted in
    time ("sla"), in which case the clock keeps running so it escalates only once. The
    `escalated` entry is written under the old centre, so its seats see the incident go."""
    if incident.status == "closed":
        raise Conflict("a closed incident cannot be escalated", code="illegal_transition")
    source = await routing_service.get(session, incident.centre_id)
    if source.parent_id is None:
        raise Conflict(f"centre {source.code} has no parent centre", code="no_parent_centre")
    target = await routing_service.get(session, source.parent_id)
    await incident_service.record(
        session,
        incident,
        actor=actor,
        type="escalated",
        data={
            "from": source.code,
            "to": target.code,
            "reason": reason,
            "previous_status": incident.status,
            "case_number": incident.case_number,
        },
    )
    started, alerted, escalated = incident.sla_started_at, incident.sla_alerted_at, incident.sla_escalated_at
    _hand_over(incident, target)
    if reason == "sla":
        incident.sla_started_at, incident.sla_alerted_at = started, alerted
        incident.sla_escalated_at = escalated
    return target


async def _merge(
    session: AsyncSession, seat: SeatIdentity, incident: Incident, into: uuid.UUID | None
) -> None:
    """Close this incident as a duplicate of `into` and move its alarms there."""
    if into is None:
        raise Invalid("into is required", field="into")
    if into == incident.id:
        raise Invalid("an incident cannot be merged into itself", field="into")
    target = await incident_service.get_visible(session, seat, into, for_update=True)
    if target.status == "closed":
        raise Conflict("cannot merge into a closed incident", field="into", code="illegal_transition")
    if incident.status in ("dispatched", "resolved", "closed"):
        raise Conflict(f"cannot merge an incident that is {incident.status}", code="illegal_transition")
    moved = await incident_service.alarm_ids(session, incident.id)
    check_disposition(incident, "duplicate")
    transition(incident, "close")
    incident.disposition, incident.merged_into = "duplicate", target.id
    await incident_service.record(
        session,
        incident,
        actor=seat.actor,
        type="merged",
        data={
            "into": str(target.id),
            "into_case_number": target.case_number,
            "alarm_ids": [str(a) for a in moved],
        },
    )
    await session.execute(update(Alarm).where(Alarm.incident_id == incident.id).values(incident_id=target.id))
    target.updated_at = utcnow()
    target.version += 1
    await incident_service.record(
        session,
        target,
        actor=seat.actor,
        type="merged_in",
        data={
            "from": str(incident.id),
            "from_case_number": incident.case_number,
            "alarm_ids": [str(a) for a in moved],
        },
    )
