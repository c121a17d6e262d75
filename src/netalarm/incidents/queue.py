"""The seat console's queue: the open incidents of a seat's view, the most urgent first, in
rows as light as the queue shows them, with what the console cannot count from the rows it
holds — how many cases are open, how many are past their time to accept, and which holding
seats have gone. A console reads the whole page when it must (signing in, push resumed after
a gap, a reconciliation every few minutes) and between those only the rows its push events
name, which costs the server a small fraction of the page."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts import service as accounts_service
from netalarm.accounts.service import SeatIdentity
from netalarm.core.clock import iso, utcnow
from netalarm.core.errors import Invalid
from netalarm.incidents import views as incident_views
from netalarm.incidents.models import Incident
from netalarm.routing import service as routing_service

OPEN = ("received", "accepted", "dispatched", "resolved")
# The most rows a page lists (the listing's largest page), and the most a read names by id:
# more changed rows than that are read as a whole page.
LIMIT_MAX = 500
IDS_MAX = 100
# What a queue row carries: what the row shows, what its alerts and notes say, and how it is
# ordered. The description, position, notes and alarm ids are the open case's business
# (`GET /api/v1/incidents/{id}`), and were half of a page's bytes.
ROW_FIELDS = (
    "id",
    "case_number",
    "status",
    "priority",
    "category",
    "centre",
    "silent",
    "created_at",
    "sla_started_at",
    "updated_at",
    "accepted_by",
    "version",
    "withdrawals",
    "media_count",
    "unread_count",
    "holder_present",
)


def overdue(limits: Mapping[str, float], now: datetime) -> ColumnElement[bool]:
    """An incident still not accepted past its priority's time to accept at `now`, counted
    from `sla_started_at` as the console counts it (a case waiting exactly its time is not
    yet late)."""
    started = func.coalesce(Incident.sla_started_at, Incident.created_at)
    return and_(
        Incident.status == "received",
        or_(
            *(
                and_(Incident.priority == priority, started < now - timedelta(seconds=seconds))
                for priority, seconds in limits.items()
            )
        ),
    )


async def read(
    session: AsyncSession,
    seat: SeatIdentity,
    *,
    limits: Mapping[str, float],
    limit: int = LIMIT_MAX,
    ids: list[uuid.UUID] | None = None,
) -> dict[str, Any]:
    """The seat's queue as of now: `{server_time, total, overdue, away, rows}`.

    `total`: open incidents in the seat's view; `overdue`: those of them past their time to
    accept (`limits`, seconds per priority), exact however many are listed; `away`: the seats
    of this server holding an open case of the view whose console is not open (sorted).
    `rows`: without `ids`, the first `limit` (0 to `LIMIT_MAX`) open incidents in the queue's
    order; with `ids` (at most `IDS_MAX`), those of them that are open and in the seat's view,
    in the queue's order — an id not among the rows is closed or out of sight. Each row holds
    `ROW_FIELDS` of the listing's row."""
    if not 0 <= limit <= LIMIT_MAX:
        raise Invalid(f"limit must be between 0 and {LIMIT_MAX}", field="limit")
    if ids is not None and len(ids) > IDS_MAX:
        raise Invalid(f"at most {IDS_MAX} ids", field="ids")
    now = utcnow()
    centre_ids = await routing_service.subtree_ids(session, seat.centre_id)
    in_view = and_(Incident.centre_id.in_(centre_ids), Incident.status.in_(OPEN))
    # One pass for the three counts: open and late cases per holder (nobody's included).
    per_holder = (
        await session.execute(
            select(Incident.accepted_by, func.count(), func.sum(case((overdue(limits, now), 1), else_=0)))
            .where(in_view)
            .group_by(Incident.accepted_by)
        )
    ).all()
    total = sum(int(count) for _, count, _ in per_holder)
    late = sum(int(late or 0) for _, _, late in per_holder)
    local = {h for h, _, _ in per_holder if h and incident_views.local_holder(h)}
    present = await accounts_service.present_usernames(session, local)
    incidents: list[Incident] = []
    if ids or (ids is None and limit):
        query = select(Incident).where(in_view).order_by(*incident_views.QUEUE_ORDER)
        query = query.where(Incident.id.in_(ids)) if ids is not None else query.limit(limit)
        incidents = list(await session.scalars(query))
    rows = await incident_views.listed(session, incidents, present=present)
    return {
        "server_time": iso(now),
        "total": total,
        "overdue": late,
        "away": sorted(local - present),
        "rows": [{k: row[k] for k in ROW_FIELDS} for row in rows],
    }
