"""Earlier alarms of the same person: what a seat should know before talking to a reporter
who has called before (or who keeps pranking)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts.models import Reporter
from netalarm.accounts.service import SeatIdentity
from netalarm.core.clock import iso
from netalarm.incidents.models import Alarm, Incident
from netalarm.routing import service as routing_service

LIMIT = 20


async def earlier(session: AsyncSession, seat: SeatIdentity, incident: Incident) -> list[dict[str, Any]]:
    """Other incidents, visible to `seat`, raised by the same reporter or by a reporter with
    the same phone number, newest first (at most `LIMIT`). Each names how it matched
    (`same`: 'reporter' or 'phone'); no identity field leaves this function."""
    if incident.reporter_id is None:
        return []
    match: dict[uuid.UUID, str] = {incident.reporter_id: "reporter"}
    reporter = await session.get(Reporter, incident.reporter_id)
    if reporter is not None and reporter.phone:
        for same_phone in await session.scalars(select(Reporter.id).where(Reporter.phone == reporter.phone)):
            match.setdefault(same_phone, "phone")
    visible = await routing_service.subtree_ids(session, seat.centre_id)
    rows = await session.execute(
        select(Incident, Alarm.reporter_id)
        .join(Alarm, Alarm.incident_id == Incident.id)
        .where(
            Alarm.reporter_id.in_(list(match)),
            Incident.id != incident.id,
            Incident.centre_id.in_(visible),
        )
        .order_by(Incident.created_at.desc())
    )
    seen: dict[uuid.UUID, dict[str, Any]] = {}
    for other, reporter_id in rows:
        if other.id in seen or len(seen) >= LIMIT:
            continue
        seen[other.id] = {
            "id": str(other.id),
            "case_number": other.case_number,
            "status": other.status,
            "priority": other.priority,
            "category": other.category,
            "created_at": iso(other.created_at),
            "disposition": other.disposition,
            "same": match[reporter_id],
        }
    return list(seen.values())
