"""Supervisor HTTP: the overview of seats online and today's SLA compliance."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from netalarm.core.http import RuntimeDep, SeatDep, Session
from netalarm.supervision import service as supervision_service

router = APIRouter(prefix="/api/v1/supervisor", tags=["seat"])


@router.get("/overview")
async def overview(session: Session, rt: RuntimeDep, seat: SeatDep) -> dict[str, Any]:
    """Seats online in the supervisor's centre and below, the open incidents each holds, and
    today's SLA compliance. Supervisors and admins only (403 otherwise)."""
    s = rt.settings
    return await supervision_service.overview(
        session,
        seat,
        sla_s={"P1": s.sla_p1_s, "P2": s.sla_p2_s, "P3": s.sla_p3_s, "P4": s.sla_p4_s},
        idle_timeout_s=s.seat_idle_timeout_s,
        timezone=s.timezone,
    )
