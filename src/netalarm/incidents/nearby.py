"""Open cases reported near one another: on a bad day many people report the same fire or
crash, and the seat holding one report should see the others to merge them, rather than find
them one by one in a long queue."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts.service import SeatIdentity
from netalarm.core.clock import iso
from netalarm.incidents.lifecycle import OPEN_STATUSES
from netalarm.incidents.models import Incident
from netalarm.routing import service as routing_service

RADIUS_M = 500.0
RADIUS_MAX_M = 5000.0
WINDOW = timedelta(hours=1)
LIMIT = 20
DESCRIPTION_CHARS = 120
EARTH_RADIUS_M = 6_371_000.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine; within a city its error is centimetres)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


async def nearby(
    session: AsyncSession, seat: SeatIdentity, incident: Incident, *, radius_m: float = RADIUS_M
) -> list[dict[str, Any]]:
    """Other open incidents visible to `seat` whose position is within `radius_m` of
    `incident`'s and that were reported within `WINDOW` of it (before or after), nearest
    first, at most `LIMIT`; none for an incident without a position. Each carries its
    distance (`distance_m`, whole metres) and the start of its description; no identity."""
    if incident.lat is None or incident.lon is None:
        return []
    # A box around the point narrows the rows by their columns; the circle decides.
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(incident.lat)), 0.01)
    visible = await routing_service.subtree_ids(session, seat.centre_id)
    rows = await session.scalars(
        select(Incident).where(
            Incident.id != incident.id,
            Incident.status.in_(OPEN_STATUSES),
            Incident.centre_id.in_(visible),
            Incident.created_at.between(incident.created_at - WINDOW, incident.created_at + WINDOW),
            Incident.lat.between(incident.lat - dlat, incident.lat + dlat),
            Incident.lon.between(incident.lon - dlon, incident.lon + dlon),
        )
    )
    found = []
    for other in rows:
        assert other.lat is not None and other.lon is not None  # between() excludes NULL
        metres = distance_m(incident.lat, incident.lon, other.lat, other.lon)
        if metres <= radius_m:
            found.append((metres, other))
    found.sort(key=lambda pair: (pair[0], pair[1].created_at))
    return [
        {
            "id": str(other.id),
            "case_number": other.case_number,
            "status": other.status,
            "priority": other.priority,
            "category": other.category,
            "silent": other.silent,
            "created_at": iso(other.created_at),
            "distance_m": round(metres),
            "description": (other.description or "")[:DESCRIPTION_CHARS],
        }
        for metres, other in found[:LIMIT]
    ]
