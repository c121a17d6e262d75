"""What a printable report holds: the whole recorded event of one incident, gathered in one
read — case data, position and trail, every timeline entry in order, every message, every
media file with its hash, and whether the timeline's chain verifies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts.service import SeatIdentity
from netalarm.core.clock import iso, utcnow
from netalarm.incidents import service as incident_service
from netalarm.incidents import views as incident_views
from netalarm.incidents.models import Incident
from netalarm.messaging import service as messaging_service
from netalarm.timeline import service as timeline_service


@dataclass(frozen=True)
class Report:
    incident: dict[str, Any]
    trail: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    media: list[dict[str, Any]]
    verified: timeline_service.Verification
    made_by: str
    made_at: str


async def gather(
    session: AsyncSession,
    seat: SeatIdentity,
    incident: Incident,
    media: list[dict[str, Any]] | None = None,
) -> Report:
    """Everything recorded about `incident` (already checked visible to `seat`). `media`
    is the incident's media list (`{id, kind, content_type, size, sha256, …}`) where the
    server keeps media."""
    entries = await timeline_service.entries(session, incident.id)
    return Report(
        incident=await incident_views.public(session, incident),
        trail=[
            {"lat": p.lat, "lon": p.lon, "accuracy_m": p.accuracy_m, "source": p.source, "at": iso(p.at)}
            for p in await incident_service.trail(session, incident.id)
        ],
        timeline=[timeline_service.public(e) for e in entries],
        messages=[
            messaging_service.public(m) for m in await messaging_service.for_incident(session, incident.id)
        ],
        media=media or [],
        verified=timeline_service.verify_entries(entries),
        made_by=seat.username,
        made_at=iso(utcnow()) or "",
    )
