"""Call-backs over HTTP: a seat records the outcome of a call it made to the reporter."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from netalarm.channels.phone import service as phone_service
from netalarm.core.http import SeatDep, Session, parse_uuid

router = APIRouter(prefix="/api/v1/incidents", tags=["channels"])


class CallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: str = Field(description="reached, no_answer, busy or failed", max_length=32)
    note: str | None = Field(default=None, max_length=10_000)
    to: str | None = Field(default=None, max_length=32)


@router.post("/{incident_id}/call", status_code=201)
async def record_call(incident_id: str, body: CallIn, session: Session, seat: SeatDep) -> dict[str, Any]:
    """Record a call the seat made (to `to`, else the reporter's phone) and how it went; it
    becomes a `call` timeline entry. No call is placed by the server."""
    call = await phone_service.record_call(
        session,
        seat,
        parse_uuid(incident_id, "incident_id"),
        outcome=body.outcome,
        note=body.note,
        to=body.to,
    )
    await session.commit()
    return call
