"""Handing an incident up to the superior server, and the sender's bookkeeping of it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts.service import actor_name
from netalarm.boundary import outside
from netalarm.boundary.document import SUPERIOR
from netalarm.boundary.models import LinkForward
from netalarm.core.clock import utcnow
from netalarm.core.errors import Conflict
from netalarm.incidents import service as incident_service
from netalarm.incidents.models import Incident

TARGET = SUPERIOR
REASONS = {"manual": "escalated by a seat", "sla": "not accepted in time"}


async def escalate_up(session: AsyncSession, incident: Incident, *, actor: str, reason: str) -> LinkForward:
    """Hand the incident (locked by the caller) to the superior server: once; the incident
    stays here too (its reporter talks to this server), and the superior's progress comes
    back onto its timeline. 409 if it was handed up before or is closed."""
    if incident.status == "closed":
        raise Conflict("a closed incident cannot be escalated", code="illegal_transition")
    if await escalated_up(session, incident):
        raise Conflict("the incident was already escalated to the superior server", code="already_escalated")
    by = actor_name(actor)
    row = await outside.queue(session, incident, target=TARGET, note=REASONS.get(reason, reason), by=by)
    await incident_service.record(
        session,
        incident,
        actor=actor,
        type="escalated_superior",
        data={
            "forward_id": str(row.id),
            "reason": reason,
            "previous_status": incident.status,
            "case_number": incident.case_number,
            "identity_shared": row.document["reporter"] is not None,
        },
    )
    return row


async def escalated_up(session: AsyncSession, incident: Incident) -> bool:
    return await outside.forwarded(session, incident, TARGET)


async def sent(session: AsyncSession, forward_id: uuid.UUID, case_number: str) -> None:
    await session.execute(
        update(LinkForward)
        .where(LinkForward.id == forward_id, LinkForward.received_at.is_(None))
        .values(
            received_at=utcnow(),
            remote_case_number=case_number,
            attempts=LinkForward.attempts + 1,
            last_error=None,
        )
    )


async def failed(session: AsyncSession, forward_id: uuid.UUID, error: str) -> None:
    await session.execute(
        update(LinkForward)
        .where(LinkForward.id == forward_id)
        .values(attempts=LinkForward.attempts + 1, last_error=error[:1000])
    )


async def following(session: AsyncSession) -> dict[uuid.UUID, int]:
    """Escalations the superior has taken whose incident is still open here, with the last
    progress entry applied: what to ask the superior about."""
    return await _open(session, LinkForward.applied_seq)


async def news_due(session: AsyncSession) -> dict[uuid.UUID, int]:
    """The same escalations, with the last of this incident's entries the superior has taken."""
    return await _open(session, LinkForward.news_seq)


async def _open(session: AsyncSession, seq: Any) -> dict[uuid.UUID, int]:
    rows = await session.execute(
        select(LinkForward.id, seq)
        .join(Incident, Incident.id == LinkForward.incident_id)
        .where(
            LinkForward.target == TARGET, LinkForward.received_at.is_not(None), Incident.status != "closed"
        )
    )
    return {forward_id: number for forward_id, number in rows}


async def news_taken(session: AsyncSession, applied: dict[uuid.UUID, int]) -> None:
    for forward_id, seq in applied.items():
        await session.execute(
            update(LinkForward)
            .where(LinkForward.id == forward_id, LinkForward.news_seq < seq)
            .values(news_seq=seq)
        )
