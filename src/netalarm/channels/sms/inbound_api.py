"""Inbound SMS over HTTP: the SMS gateway posts each text received on the alarm number."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from netalarm.channels.sms import inbound
from netalarm.channels.sms.worker import WorkerDep
from netalarm.core.http import RuntimeDep, Session, require_secret
from netalarm.routing import service as routing_service

router = APIRouter(prefix="/api/v1/sms", tags=["channels"])

RECEIVED_AT_PAST = timedelta(days=30)
RECEIVED_AT_FUTURE = timedelta(days=1)


class InboundIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    message_id: str = Field(min_length=1, max_length=200)
    sender: str = Field(alias="from", min_length=1, max_length=64)
    # The longest concatenated SMS (255 parts): a longer body is not a text from a phone.
    text: str = Field(max_length=inbound.LONGEST_SMS)
    # When the gateway received the text (with its time zone): a text held up on the way
    # shows on the case as written when, and how late it arrived.
    received_at: AwareDatetime | None = None

    @field_validator("received_at")
    @classmethod
    def _plausible(cls, value: datetime | None) -> datetime | None:
        """A gateway's clock within a month back and a day ahead of ours: anything else is a
        mistake (and a year 1 or 9999 would not even convert to UTC)."""
        if value is None:
            return None
        try:
            at = value.astimezone(UTC)
        except OverflowError as exc:
            raise ValueError("received_at is out of range") from exc
        now = datetime.now(UTC)
        if not now - RECEIVED_AT_PAST <= at <= now + RECEIVED_AT_FUTURE:
            raise ValueError("received_at must be within the last 30 days and not more than a day ahead")
        return at


@router.post("/inbound", status_code=201)
async def receive_sms(
    body: InboundIn, request: Request, session: Session, rt: RuntimeDep, worker: WorkerDep
) -> Any:
    """An SMS received by the gateway: the reporter's chat message on their open SMS alarm
    (`outcome` `message`), else a new alarm (`alarm`). 201 once committed; the same
    `message_id` again changes nothing and gets the same body with 200."""
    require_secret(
        request,
        rt.settings.sms_inbound_token,
        who="the SMS gateway",
        off_code="sms_inbound_disabled",
        off_message="inbound SMS is switched off: set NETALARM_SMS_INBOUND_TOKEN",
    )
    root = await routing_service.root(session, rt.settings.centre or None)
    received = await inbound.receive(
        session,
        inbound.Inbound(
            message_id=body.message_id, sender=body.sender, text=body.text, received_at=body.received_at
        ),
        root=root,
        timezone=rt.settings.timezone,
    )
    answer: dict[str, Any] = received.public()
    await session.commit()
    worker.wake()  # the receipt to a new alarm's sender leaves now
    return JSONResponse(answer, status_code=201 if received.created else 200)
