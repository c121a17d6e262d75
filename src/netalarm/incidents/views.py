"""How seats see incidents: the listing of a seat's subtree, the counts and presence its rows
carry, and an incident as a seat sees it (identity fields excluded: they are read separately,
and each read is recorded)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts import service as accounts_service
from netalarm.accounts.service import SeatIdentity
from netalarm.core.clock import iso
from netalarm.core.errors import Invalid, NotFound
from netalarm.incidents.lifecycle import PRIORITIES, STATUSES
from netalarm.incidents.models import Alarm, Incident
from netalarm.media.models import Media
from netalarm.messaging.models import Message
from netalarm.routing import service as routing_service
from netalarm.routing.models import Centre

# The longest text a seat may search incidents for.
TEXT_MAX = 100
# The furthest a listing may page (a larger number is no page at all, and overflows SQLite).
OFFSET_MAX = 10_000_000
# How a listing is ordered: `newest` first (the case history), or as the seat's `queue` is:
# the most urgent priority first, then the longest waiting (by its SLA clock).
ORDERS = ("newest", "queue")
# The queue's order: "P1" < "P2" < …, so the lesser code is the more urgent; then the longest
# waiting by its SLA clock.
QUEUE_ORDER = (Incident.priority, func.coalesce(Incident.sla_started_at, Incident.created_at), Incident.id)


async def list_visible(
    session: AsyncSession,
    seat: SeatIdentity,
    *,
    statuses: list[str] | None = None,
    priorities: list[str] | None = None,
    centre_code: str | None = None,
    text: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    order: str = "newest",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Incident], int]:
    """The seat's incidents in `order` (one of `ORDERS`), and how many match in all. `text`
    finds those whose case number or description holds it (any case); `since` and `until`
    (with a time zone) bound when they were created, `until` excluded."""
    for name, bound in (("since", since), ("until", until)):
        if bound is not None and bound.utcoffset() is None:
            raise Invalid(f"{name} must be a date and time with a time zone", field=name)
    if text is not None and len(text) > TEXT_MAX:
        raise Invalid(f"q must be at most {TEXT_MAX} characters", field="q")
    for status in statuses or []:
        if status not in STATUSES:
            raise Invalid(f"status must be among {', '.join(STATUSES)}", field="status")
    for priority in priorities or []:
        if priority not in PRIORITIES:
            raise Invalid(f"priority must be among {', '.join(PRIORITIES)}", field="priority")
    if order not in ORDERS:
        raise Invalid(f"order must be one of {', '.join(ORDERS)}", field="order")
    if not 1 <= limit <= 500:
        raise Invalid("limit must be between 1 and 500", field="limit")
    if not 0 <= offset <= OFFSET_MAX:
        raise Invalid(f"offset must be between 0 and {OFFSET_MAX}", field="offset")
    scope = await routing_service.get(session, seat.centre_id)
    if centre_code:
        scope = await routing_service.get_by_code(session, centre_code)
        if not scope.path.startswith((await routing_service.get(session, seat.centre_id)).path):
            raise NotFound(f"no centre {centre_code}", field="centre")
    centre_ids = [c.id for c in await routing_service.subtree(session, scope)]
    query = select(Incident).where(Incident.centre_id.in_(centre_ids))
    if statuses:
        query = query.where(Incident.status.in_(statuses))
    if priorities:
        query = query.where(Incident.priority.in_(priorities))
    if text and text.strip():
        wanted = text.strip()
        query = query.where(
            or_(
                Incident.case_number.icontains(wanted, autoescape=True),
                Incident.description.icontains(wanted, autoescape=True),
            )
        )
    if since is not None:
        query = query.where(Incident.created_at >= since)
    if until is not None:
        query = query.where(Incident.created_at < until)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if order == "queue":
        query = query.order_by(*QUEUE_ORDER)
    else:
        query = query.order_by(Incident.created_at.desc(), Incident.id.desc())
    rows = await session.scalars(query.limit(limit).offset(offset))
    return list(rows), total


async def queue_counts(
    session: AsyncSession, incident_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    """Per incident: `media_count` (files of its alarms) and `unread_count` (reporter
    messages no seat has read yet)."""
    counts = {i: {"media_count": 0, "unread_count": 0} for i in incident_ids}
    unread = await session.execute(
        select(Message.incident_id, func.count())
        .where(Message.incident_id.in_(incident_ids), Message.sender == "reporter", Message.read_at.is_(None))
        .group_by(Message.incident_id)
    )
    for incident_id, count in unread:
        counts[incident_id]["unread_count"] = count
    media = await session.execute(
        select(Alarm.incident_id, func.count())
        .join(Media, Media.alarm_id == Alarm.id)
        .where(Alarm.incident_id.in_(incident_ids))
        .group_by(Alarm.incident_id)
    )
    for incident_id, count in media:
        counts[incident_id]["media_count"] = count
    return counts


async def listed(
    session: AsyncSession, incidents: list[Incident], *, present: set[str] | None = None
) -> list[dict[str, Any]]:
    """A listing's rows: each incident as `public` shows it, with its `queue_counts` and
    `holder_present` (whether the seat holding it has its console open now: a case whose seat
    has gone is every seat's to watch; None when no seat of this server holds it), in a fixed
    number of queries however long the list. `present`: the usernames with a console open,
    when the caller has read them for these holders and more (else they are read here)."""
    if not incidents:
        return []
    counts = await queue_counts(session, [i.id for i in incidents])
    if present is None:
        holders = {i.accepted_by for i in incidents if local_holder(i.accepted_by)}
        present = await accounts_service.present_usernames(session, {h for h in holders if h})
    return [
        {
            **view,
            **counts[i.id],
            "holder_present": (i.accepted_by in present) if local_holder(i.accepted_by) else None,
        }
        for i, view in zip(incidents, await public_many(session, incidents), strict=True)
    ]


def local_holder(accepted_by: str | None) -> bool:
    """Whether `accepted_by` is a seat of this server (not nobody, not the superior's seat,
    `superior:<seat>`, nor another system actor)."""
    return bool(accepted_by) and ":" not in (accepted_by or "")


async def public(session: AsyncSession, incident: Incident) -> dict[str, Any]:
    """The incident as seats see it (identity fields excluded: they are read separately)."""
    return (await public_many(session, [incident]))[0]


async def public_many(session: AsyncSession, incidents: list[Incident]) -> list[dict[str, Any]]:
    """`public` of each incident, in their order, in one query per related table (their
    centres, their alarms) however many there are."""
    if not incidents:
        return []
    centres = {
        c.id: c
        for c in await session.scalars(select(Centre).where(Centre.id.in_({i.centre_id for i in incidents})))
    }
    alarms: dict[uuid.UUID, list[Any]] = {i.id: [] for i in incidents}
    for row in await session.execute(
        select(Alarm.incident_id, Alarm.id, Alarm.withdrawn_at, Alarm.withdrawn_reason)
        .where(Alarm.incident_id.in_(list(alarms)))
        .order_by(Alarm.id)
    ):
        alarms[row.incident_id].append(row)
    return [_public(i, centres[i.centre_id], alarms[i.id]) for i in incidents]


def _public(incident: Incident, centre: Centre, alarms: list[Any]) -> dict[str, Any]:
    return {
        "id": str(incident.id),
        "case_number": incident.case_number,
        "status": incident.status,
        "priority": incident.priority,
        "category": incident.category,
        "description": incident.description,
        "centre": centre.code,
        "centre_name": centre.name,
        "silent": incident.silent,
        "location": location_of(incident),
        "created_at": iso(incident.created_at),
        # When its time to accept began: its creation, or its latest hand-over to a centre.
        "sla_started_at": iso(incident.sla_started_at or incident.created_at),
        "updated_at": iso(incident.updated_at),
        "accepted_at": iso(incident.accepted_at),
        "accepted_by": incident.accepted_by,
        "dispatched_at": iso(incident.dispatched_at),
        "dispatch_note": incident.dispatch_note,
        "resolved_at": iso(incident.resolved_at),
        "outcome": incident.outcome,
        "closed_at": iso(incident.closed_at),
        "disposition": incident.disposition,
        "merged_into": str(incident.merged_into) if incident.merged_into else None,
        "version": incident.version,
        "alarm_ids": [str(alarm_id) for _, alarm_id, _, _ in alarms],
        # The alarms their reporters took back (`withdraw`), oldest first.
        "withdrawals": sorted(
            (
                {"alarm_id": str(alarm_id), "at": iso(at), "reason": reason}
                for _, alarm_id, at, reason in alarms
                if at is not None
            ),
            key=lambda w: str(w["at"]),
        ),
    }


def location_of(incident: Incident) -> dict[str, Any] | None:
    if incident.lat is None or incident.lon is None:
        return None
    return {
        "lat": incident.lat,
        "lon": incident.lon,
        "accuracy_m": incident.accuracy_m,
        "source": incident.location_source,
    }
