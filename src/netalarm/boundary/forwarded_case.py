"""The incident a forward from another server became, as the receiving side's services find
it: locked with its forward, and its relay alarm (the one carrying the conversation)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.boundary.models import LinkInbound
from netalarm.core.errors import NotFound
from netalarm.incidents import service as incident_service
from netalarm.incidents.models import Alarm, Incident

# Channel of the alarm that carries the reporter's conversation over the link.
RELAY = "relay"


async def locked(session: AsyncSession, forward_id: uuid.UUID, source: str) -> tuple[LinkInbound, Incident]:
    """The forward from `source` (else 404) and its incident, locked."""
    inbound = await session.get(LinkInbound, forward_id)
    if inbound is None or inbound.source != source:
        raise NotFound("no such forward", field="forward_id")
    incident = await incident_service.lock(session, inbound.incident_id)
    await session.refresh(inbound)
    return inbound, incident


async def relay_alarm(session: AsyncSession, incident: Incident) -> Alarm:
    """The alarm of `incident` that carries the conversation over the link."""
    alarm = await session.scalar(
        select(Alarm).where(Alarm.incident_id == incident.id, Alarm.channel == RELAY)
    )
    assert alarm is not None, "an incident made from a forward has its relay alarm"
    return alarm
