"""The centre tree as seats see it (for transfers and filters), and the jurisdiction outlines
the reporter's map shows."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from netalarm.core.http import RuntimeDep, SeatDep, Session
from netalarm.routing import service as routing_service

router = APIRouter(tags=["seat"])


@router.get("/api/v1/centres")
async def centres(session: Session, rt: RuntimeDep, _seat: SeatDep) -> list[dict[str, Any]]:
    """Every centre of this server's tree: a seat may transfer to any of them. `parent` is the
    code of the centre an escalation goes to (None at the top of the tree)."""
    root = await routing_service.root(session, rt.settings.centre or None)
    tree = sorted(await routing_service.subtree(session, root), key=lambda c: c.path)
    codes: dict[uuid.UUID | None, str] = {c.id: c.code for c in tree}
    return [{**routing_service.public(c), "parent": codes.get(c.parent_id)} for c in tree]


@router.get("/api/v1/jurisdictions", tags=["reporter"])
async def jurisdictions(session: Session, rt: RuntimeDep) -> dict[str, Any]:
    """Public: the outlines of this server's centres as a GeoJSON FeatureCollection, so a
    reporter's map can show where they are even without map tiles."""
    root = await routing_service.root(session, rt.settings.centre or None)
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": c.jurisdiction, "properties": routing_service.public(c)}
            for c in sorted(await routing_service.subtree(session, root), key=lambda c: c.path)
            if c.jurisdiction
        ],
    }
