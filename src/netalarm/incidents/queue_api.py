"""Seat-side HTTP for the console's queue: `GET /api/v1/seat/queue`."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Query, Response

from netalarm.core.http import RuntimeDep, SeatDep, Session, parse_uuid
from netalarm.incidents import queue
from netalarm.incidents.sla import Limits

router = APIRouter(prefix="/api/v1/seat", tags=["seat"])


@router.get("/queue")
async def read_queue(
    session: Session,
    seat: SeatDep,
    rt: RuntimeDep,
    limit: int = Query(default=queue.LIMIT_MAX, description="rows of the page, 0 for the counts alone"),
    ids: str | None = Query(default=None, description="comma-separated incident ids: only these rows"),
) -> Response:
    """The seat's queue (`incidents.queue.read`): `{server_time, total, overdue, away, rows}`,
    the first `limit` open incidents in the queue's order, or with `ids` only those of them
    still open in the seat's view (an id not among the rows has left the queue). 422 naming
    `limit` or `ids` for a bad one. Encoded by orjson, as the listing."""
    wanted = None if ids is None else [parse_uuid(i.strip(), "ids") for i in ids.split(",") if i.strip()]
    answer = await queue.read(
        session, seat, limits=Limits.from_settings(rt.settings).seconds, limit=limit, ids=wanted
    )
    return Response(orjson.dumps(answer), media_type="application/json")
