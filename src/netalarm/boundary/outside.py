"""The handing side of a hand-over: a network seat forwards an incident to 110 (the intranet
pulls what waits) or it is escalated to the superior server (`federation` sends it); either
way the other side's progress comes back onto this incident's timeline."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts.models import Reporter
from netalarm.accounts.service import SeatIdentity
from netalarm.boundary import relayed_receipts
from netalarm.boundary.document import (
    ACTORS,
    CLOSING_TYPES,
    FIRST_TYPES,
    LINK_110,
    NEWS_TYPES,
    NEWS_TYPES_V2,
    SUPERIOR,
    Forward,
    Progress,
    progress_of,
    relayable,
    relayed_message_key,
)
from netalarm.boundary.models import LinkForward
from netalarm.channels.sms import service as sms_service
from netalarm.core.clock import iso, utcnow
from netalarm.core.errors import Conflict, Invalid, NotFound
from netalarm.core.ids import uuid7
from netalarm.incidents import service as incident_service
from netalarm.incidents import views as incident_views
from netalarm.incidents.lifecycle import transition
from netalarm.incidents.models import Alarm, Incident
from netalarm.intake.schemas import LocationIn, ReporterIn
from netalarm.messaging import service as messaging_service
from netalarm.routing import service as routing_service
from netalarm.timeline.models import TimelineEntry

log = logging.getLogger(__name__)

PROGRESS_TYPES = {LINK_110: "link_110", SUPERIOR: "superior_update"}
MAX_NOTE = 10_000
# Statuses an incident may be forwarded to 110 from: taken by a seat, disposal not finished.
FORWARDABLE = ("accepted", "dispatched")


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
    if await forwarded(session, incident, LINK_110):
        raise Conflict("the incident was already forwarded to 110", code="already_forwarded")
    previous = incident.status
    if previous == "accepted":
        transition(incident, "dispatch")
        incident.dispatch_note = text
    row = await queue(session, incident, target=LINK_110, note=text, by=seat.username)
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
            "identity_shared": row.document["reporter"] is not None,
        },
    )
    return row


async def queue(session: AsyncSession, incident: Incident, *, target: str, note: str, by: str) -> LinkForward:
    """The forward of `incident` to `target` (`110`, `superior`), waiting to be taken."""
    document = await _document(session, incident, note, by)
    row = LinkForward(
        id=document.forward_id,
        incident_id=incident.id,
        target=target,
        seat_username=by,
        note=note,
        document=document.model_dump(mode="json"),
        created_at=document.forwarded_at,
        applied_seq=0,
        attempts=0,
    )
    session.add(row)
    await session.flush()
    return row


async def forwarded(session: AsyncSession, incident: Incident, target: str) -> bool:
    """Whether the incident was handed to `target` before."""
    found = await session.scalar(
        select(LinkForward.id).where(LinkForward.incident_id == incident.id, LinkForward.target == target)
    )
    return found is not None


async def _document(session: AsyncSession, incident: Incident, note: str, by: str) -> Forward:
    centre = await routing_service.get(session, incident.centre_id)
    reporter = await session.get(Reporter, incident.reporter_id) if incident.reporter_id else None
    given = reporter is not None and any((reporter.name, reporter.phone, reporter.id_number))
    counts = await incident_views.queue_counts(session, [incident.id])
    location = incident_views.location_of(incident)
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
        forwarded_by=by,
        note=note,
        reporter=ReporterIn(
            name=reporter.name, phone=reporter.phone, id_number=reporter.id_number, language=reporter.language
        )
        if reporter is not None and given
        else None,
        media_count=counts[incident.id]["media_count"],
    )


async def waiting(session: AsyncSession, target: str, limit: int = 50) -> list[dict[str, Any]]:
    """The documents of forwards to `target` it has not taken yet, oldest first: what the 110
    side pulls, what is sent up to the superior. One fetched but not confirmed comes again (the
    other side keeps one incident per forward)."""
    rows = await session.scalars(
        select(LinkForward.document)
        .where(LinkForward.target == target, LinkForward.received_at.is_(None))
        .order_by(LinkForward.created_at, LinkForward.id)
        .limit(limit)
    )
    return list(rows)


async def waiting_count(session: AsyncSession, target: str) -> int:
    """How many forwards to `target` it has not taken yet."""
    waiting = select(func.count()).where(LinkForward.target == target, LinkForward.received_at.is_(None))
    return int(await session.scalar(waiting) or 0)


async def take_progress(session: AsyncSession, forward_id: uuid.UUID, updates: list[Progress]) -> int:
    """Record the other side's progress on a forwarded incident: each entry once, in `seq`
    order, however often it is sent (entries at or below the last applied are skipped).
    Returns the last applied seq. 404 for an unknown forward."""
    row = await session.get(LinkForward, forward_id)
    if row is None:
        raise NotFound("no such forward", field="forward_id")
    # The incident lock orders these entries with every other one, and two pushes of the
    # same progress one after the other: the second finds them applied.
    incident = await incident_service.lock(session, row.incident_id)
    await session.refresh(row)
    before = incident.status
    for update in sorted(updates, key=lambda u: u.seq):
        if update.seq <= row.applied_seq:
            continue
        await _apply(session, row, incident, update)
        row.applied_seq = update.seq
    if incident.status != before:
        # Police dispatched by the other side: an SMS reporter is told, as for a dispatch here.
        await sms_service.queue_status(session, incident, actor=ACTORS[row.target])
    await session.flush()
    return row.applied_seq


async def _apply(session: AsyncSession, row: LinkForward, incident: Incident, update: Progress) -> None:
    actor = ACTORS[row.target]
    if update.type == "message":
        # The other side's seat writes to the reporter: into the conversation here, and to a
        # reporter who alarmed by SMS as an SMS, as a seat's message here would.
        text = str(update.data.get("text") or "")
        seat = f"{row.target}:{update.data.get('seat') or ''}"[:64]
        if text and incident.status == "closed":
            # Too late for the reporter's conversation, which ended with the case: kept on the
            # record all the same (the other side learns of the closing from its news).
            await incident_service.record(
                session,
                incident,
                actor=actor,
                type=PROGRESS_TYPES[row.target],
                data={
                    "stage": "message_undelivered",
                    "remote_case_number": update.case_number,
                    "by": update.actor,
                    "remote_at": iso(update.at),
                    "seat": seat,
                    "text": text,
                },
            )
        elif text:
            message = await messaging_service.post(
                session,
                incident=incident,
                alarm_id=await messaging_service.default_alarm(session, incident),
                sender="seat",
                actor=actor,
                text=text,
                media_ids=[],
                seat_username=seat,
                # Under its id there, so the reporter's receipts of it can go back.
                idempotency_key=_key_of(row.target, update.data.get("id")),
            )
            await sms_service.queue_chat_reply(session, incident, message, actor=actor, sender=seat, cut=True)
        return
    if update.type in FIRST_TYPES:
        row.received_at = row.received_at or utcnow()
        row.remote_case_number = update.case_number
    data = {
        "stage": update.type,
        "remote_case_number": update.case_number,
        "by": update.actor,
        "remote_at": iso(update.at),
        **update.data,
    }
    incident.updated_at = utcnow()
    await incident_service.record(session, incident, actor=actor, type=PROGRESS_TYPES[row.target], data=data)
    await _follow(session, incident, update, actor=actor, by=row.target)


def _key_of(target: str, message_id: object) -> str | None:
    """The key of a message that came from `target` with `message_id` (None: an older peer
    that sent no id)."""
    try:
        return relayed_message_key(target, uuid.UUID(str(message_id)))
    except ValueError:
        return None


# The other side's step -> (the action here, the status it needs here, the entry it writes).
FOLLOW: dict[str, tuple[str, str, str]] = {
    "accepted": ("accept", "received", "accepted"),
    "dispatched": ("dispatch", "accepted", "dispatched"),
    "resolved": ("resolve", "dispatched", "resolved"),
    "closed": ("resolve", "dispatched", "resolved"),
}


async def _follow(
    session: AsyncSession, incident: Incident, update: Progress, *, actor: str, by: str
) -> None:
    """Where the other side's step is the next one here, take it here too, so the reporter
    and this server's seats see the case move: accepted, dispatched, then resolved (when the
    other side resolves or closes the case). Closing stays with this server's seats, who
    hold the conversation with the reporter."""
    if update.type not in FOLLOW:
        return
    action, needed, entry = FOLLOW[update.type]
    if incident.status != needed:
        return
    transition(incident, action)
    data: dict[str, Any] = {"by": by}
    if action == "accept":
        incident.accepted_by = f"{by}:{update.actor.partition(':')[2] or update.actor}"[:64]
        started = incident.sla_started_at or incident.created_at
        waited = (incident.accepted_at - started).total_seconds() if incident.accepted_at else None
        data.update(seat=incident.accepted_by, waited_s=waited)
    elif action == "dispatch":
        incident.dispatch_note = str(update.data.get("note") or "")
        data["note"] = incident.dispatch_note
    else:
        closed_as = f"{by} closed the case as {update.data.get('disposition')}"
        incident.outcome = str(update.data.get("outcome") or closed_as)
        data["outcome"] = incident.outcome
    await incident_service.record(session, incident, actor=actor, type=entry, data=data)


async def _descriptions(session: AsyncSession, alarm_ids: list[str]) -> str:
    """What the reporters wrote when raising these alarms, one after the other."""
    rows = await session.scalars(
        select(Alarm.description).where(Alarm.id.in_([uuid.UUID(a) for a in alarm_ids])).order_by(Alarm.id)
    )
    return " / ".join(text for text in rows if text)


async def news(
    session: AsyncSession,
    after: dict[uuid.UUID, int],
    *,
    target: str,
    version: int = 1,
    unreadable: dict[uuid.UUID, str] | None = None,
) -> dict[uuid.UUID, list[Progress]]:
    """Per forward to `target` in `after`, what happened here since the entry given that the
    other side's seats need: the reporter's messages and this server's seats' (not those
    that came over the link), the reporter's positions, and, to the 110 side, this server's
    seats resolving or closing the case and (news `version` 2) texts the reporter's phone sent
    to the alarm number, the reporter's receipts of the 110 seats' messages, and a case merged
    into this one with what its reporters wrote. Unknown forwards are left out. A forward
    whose news cannot be read (a damaged entry) holds up no other's: it is logged, left out,
    and put in `unreadable` (if given) with why."""
    if not after:
        return {}
    types = NEWS_TYPES
    if target == LINK_110:
        types = (*types, *CLOSING_TYPES, *(NEWS_TYPES_V2 if version >= 2 else ()))
    found_rows = (
        await session.execute(
            select(LinkForward.id, TimelineEntry, Incident.case_number)
            .join(TimelineEntry, TimelineEntry.incident_id == LinkForward.incident_id)
            .join(Incident, Incident.id == LinkForward.incident_id)
            .where(
                LinkForward.id.in_(list(after)),
                LinkForward.target == target,
                TimelineEntry.type.in_(types),
            )
            .order_by(TimelineEntry.seq)
        )
    ).all()
    rows = [(f, entry, number) for f, entry, number in found_rows if entry.seq > after[f]]
    originals = await relayed_receipts.originals(session, [entry for _, entry, _ in rows])
    per_forward: dict[uuid.UUID, list[tuple[TimelineEntry, str]]] = {}
    for forward_id, entry, case_number in rows:
        per_forward.setdefault(forward_id, []).append((entry, case_number))
    found: dict[uuid.UUID, list[Progress]] = {}
    for forward_id, entries in per_forward.items():
        try:
            updates = [
                u for entry, number in entries if (u := await _news_of(session, entry, number, originals))
            ]
        except (ValidationError, ValueError, TypeError, AttributeError, KeyError) as exc:
            why = f"{type(exc).__name__}: {exc}"
            log.error("news of forward %s (case %s) cannot be read: %s", forward_id, entries[0][1], why)
            if unreadable is not None:
                unreadable[forward_id] = f"the news of case {entries[0][1]} cannot be read: {why}"[:500]
            continue
        if updates:
            found[forward_id] = updates
    return found


async def _news_of(
    session: AsyncSession, entry: TimelineEntry, case_number: str, originals: dict[uuid.UUID, str]
) -> Progress | None:
    """The entry as news for the other side, or None when it is none of its business."""
    if not relayable(entry.type, entry.actor):
        return None
    if entry.type in CLOSING_TYPES and not entry.actor.startswith("seat:"):
        return None  # resolved here because the 110 side did: it knows
    update = progress_of(entry, case_number)
    if entry.type == "merged_in":
        update.data = {
            "from_case_number": entry.data.get("from_case_number"),
            "text": await _descriptions(session, entry.data.get("alarm_ids") or []),
        }
    if entry.type in relayed_receipts.RECEIPT_TYPES:
        if entry.id not in originals:
            return None  # a receipt of a message that did not come from the 110 side
        update.data = {"id": originals[entry.id], "at": entry.data.get("at")}
    return update
