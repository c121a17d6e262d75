"""SMS over HTTP for seats: queue one to the reporter (or another number), list them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from netalarm.channels.sms import service as sms_service
from netalarm.channels.sms.worker import WorkerDep
from netalarm.core.http import SeatDep, Session, parse_uuid
from netalarm.incidents import service as incident_service

router = APIRouter(prefix="/api/v1/incidents", tags=["channels"])


class SmsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=10_000)  # a bound on the body; the service checks the real limit
    to: str | None = Field(default=None, max_length=32)


@router.post("/{incident_id}/sms", status_code=202)
async def send_sms(
    incident_id: str, body: SmsIn, session: Session, seat: SeatDep, worker: WorkerDep
) -> dict[str, Any]:
    """Queue an SMS; 202 once it is committed as `pending`. Without `to` it goes to the
    reporter's phone (422 `to` if they gave none). The worker sends it after the commit;
    `sms_delivered` or `sms_failed` follow on the timeline."""
    delivery = await sms_service.queue(
        session, seat, parse_uuid(incident_id, "incident_id"), text=body.text, to=body.to
    )
    answer = sms_service.public(delivery)
    await session.commit()
    worker.wake()
    return answer


@router.get("/{incident_id}/sms")
async def list_sms(incident_id: str, session: Session, seat: SeatDep) -> list[dict[str, Any]]:
    """The incident's SMS, oldest first, with status, attempts, last error and every try."""
    incident = await incident_service.get_visible(session, seat, parse_uuid(incident_id, "incident_id"))
    return await sms_service.for_incident(session, incident.id)
