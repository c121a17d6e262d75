"""The centre tree as seats see it (for transfers and filters)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from netalarm.core.http import RuntimeDep, SeatDep, Session
from netalarm.routing import service as routing_service

router = APIRouter(prefix="/api/v1/centres", tags=["seat"])


@router.get("")
async def centres(session: Session, rt: RuntimeDep, _seat: SeatDep) -> list[dict[str, Any]]:
    """Every centre of this server's tree: a seat may transfer to any of them."""
    root = await routing_service.root(session, rt.settings.centre or None)
    return [
        routing_service.public(c)
        for c in sorted(await routing_service.subtree(session, root), key=lambda c: c.path)
    ]
