"""The SLA watchdog: an incident nobody accepted within its priority's time raises one
`sla_alert` to its centre; still unaccepted after twice that time, the parent centre is
called in. While a seat of the incident's own centre is at its desk (`centre_staffed`), the
incident stays there and the parent's seats are alerted to help take it (stage
`parent_alerted`; they see the centres below them anyway): on a worst day a flood of P1s
must not leave the busy district's queue for a city desk that has fewer seats, where the
district could no longer take them. With nobody there, the incident is escalated to the
parent centre, whose seats are alerted in turn — or, from the root centre, to the superior
server if there is one.

Every server process runs the watchdog. Each stage is claimed by a conditional update
(`… WHERE sla_alerted_at IS NULL`) under the incident's lock, so however many processes
look at once, exactly one raises the alert and exactly one escalates."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from netalarm.accounts import service as accounts_service
from netalarm.core.clock import utcnow
from netalarm.core.db import transaction
from netalarm.core.settings import Settings
from netalarm.federation import service as federation_service
from netalarm.incidents import actions
from netalarm.incidents import service as incident_service
from netalarm.incidents.models import Incident
from netalarm.routing import service as routing_service

log = logging.getLogger(__name__)

ACTOR = "system:sla"


@dataclass(frozen=True)
class Limits:
    """Seconds to accept, per priority."""

    seconds: dict[str, float]

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            {
                "P1": settings.sla_p1_s,
                "P2": settings.sla_p2_s,
                "P3": settings.sla_p3_s,
                "P4": settings.sla_p4_s,
            }
        )


def _overdue(limits: Limits, now: datetime, factor: float) -> ColumnElement[bool]:
    started = func.coalesce(Incident.sla_started_at, Incident.created_at)
    # An incident's clock never starts before it was created, so none created after the
    # shortest limit can be overdue: said outright, the (status, created_at) index skips
    # the young ones instead of reading every unaccepted incident each second.
    youngest = now - timedelta(seconds=min(limits.seconds.values()) * factor)
    return and_(
        Incident.created_at <= youngest,
        or_(
            *(
                and_(Incident.priority == priority, started <= now - timedelta(seconds=seconds * factor))
                for priority, seconds in limits.seconds.items()
            )
        ),
    )


async def _claim(
    session: AsyncSession, incident_id: uuid.UUID, column: str, now: datetime
) -> Incident | None:
    """Lock the incident and stamp `column` if nobody has: the incident if this call did."""
    incident = await incident_service.lock(session, incident_id)
    stamp = getattr(Incident, column)
    claimed = await session.execute(
        update(Incident)
        .where(Incident.id == incident_id, Incident.status == "received", stamp.is_(None))
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    set_committed_value(incident, column, now)
    return incident


def _alert_data(incident: Incident, limits: Limits, now: datetime, stage: str, centre: str) -> dict[str, Any]:
    started = incident.sla_started_at or incident.created_at
    return {
        "stage": stage,
        "case_number": incident.case_number,
        "priority": incident.priority,
        "limit_s": limits.seconds.get(incident.priority),
        "waited_s": round((now - started).total_seconds(), 3),
        "centre": centre,
    }


async def sweep(
    session: AsyncSession, limits: Limits, now: datetime | None = None, *, superior: bool = False
) -> list[tuple[uuid.UUID, str]]:
    """Raise the alerts and escalations due at `now`; returns (incident id, stage) for each
    this call raised. Stages: `alert` (its centre), `parent_alerted` (its centre's seats are
    there: it stays, and the parent centre is asked to help), `escalated` (nobody there: now
    the parent centre's), `escalated_superior` (a root centre's, handed to the `superior`
    server), or `overdue` (nobody to escalate to, or handed up before; alerted once more)."""
    now = now or utcnow()
    raised: list[tuple[uuid.UUID, str]] = []
    due = await session.scalars(
        select(Incident.id)
        .where(Incident.status == "received", Incident.sla_alerted_at.is_(None), _overdue(limits, now, 1))
        .order_by(Incident.id)
    )
    for incident_id in list(due):
        incident = await _claim(session, incident_id, "sla_alerted_at", now)
        if incident is not None:
            centre = await routing_service.get(session, incident.centre_id)
            data = _alert_data(incident, limits, now, "alert", centre.code)
            await incident_service.record(session, incident, actor=ACTOR, type="sla_alert", data=data)
            raised.append((incident_id, "alert"))
    due = await session.scalars(
        select(Incident.id)
        .where(
            Incident.status == "received",
            Incident.sla_alerted_at.is_not(None),
            Incident.sla_escalated_at.is_(None),
            _overdue(limits, now, 2),
        )
        .order_by(Incident.id)
    )
    # Whether each centre is staffed, asked once a sweep: a flood brings hundreds of one
    # district's cases to this stage together.
    staffed: dict[uuid.UUID, bool] = {}
    for incident_id in list(due):
        incident = await _claim(session, incident_id, "sla_escalated_at", now)
        if incident is None:
            continue
        centre = await routing_service.get(session, incident.centre_id)
        stage, extra = "overdue", {}
        if centre.parent_id is not None and centre.id not in staffed:
            staffed[centre.id] = await accounts_service.centre_staffed(session, centre.id)
        if centre.parent_id is not None and staffed[centre.id]:
            parent = await routing_service.get(session, centre.parent_id)
            stage, extra = "parent_alerted", {"to": parent.code}
        elif centre.parent_id is not None:
            centre = await actions.escalate(session, incident, actor=ACTOR, reason="sla")
            stage = "escalated"
        elif superior and not await federation_service.escalated_up(session, incident):
            await federation_service.escalate_up(session, incident, actor=ACTOR, reason="sla")
            stage = "escalated_superior"
        data = {**_alert_data(incident, limits, now, stage, centre.code), **extra}
        await incident_service.record(session, incident, actor=ACTOR, type="sla_alert", data=data)
        raised.append((incident_id, stage))
    return raised


async def watch(
    sessions: async_sessionmaker[AsyncSession], limits: Limits, *, tick_s: float, superior: bool = False
) -> None:
    """Sweep every `tick_s` seconds, one transaction per sweep, until cancelled."""
    while True:
        try:
            async with transaction(sessions) as session:
                await sweep(session, limits, superior=superior)
        except Exception as exc:  # a database outage: try again on the next tick
            log.warning("SLA watchdog: %s: %s", type(exc).__name__, exc)
        await asyncio.sleep(tick_s)
