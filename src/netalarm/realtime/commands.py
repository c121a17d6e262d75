"""What a reporter may send over the alarm's WebSocket: chat messages and read receipts.
Each command runs as one transaction, exactly like its HTTP twin, and is answered with an
`ack` or an `error` frame carrying the command's `ref`."""

from __future__ import annotations

import uuid
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.core.db import shielded
from netalarm.core.errors import DomainError, Invalid, NotFound
from netalarm.core.http import Runtime
from netalarm.incidents.models import Alarm, Incident
from netalarm.messaging import receipts
from netalarm.messaging import service as messaging_service
from netalarm.realtime.hub import Client
from netalarm.realtime.stream import control


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["message", "read", "ping"]
    ref: str | None = Field(default=None, max_length=100)
    text: str = Field(default="", max_length=messaging_service.MAX_TEXT)
    media_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)
    message_id: uuid.UUID | None = None


def _error(exc: DomainError, ref: str | None) -> dict[str, Any]:
    frame = control("error", ref=ref)
    frame["error"] = exc.body()["error"]
    return frame


def _parse(text: str) -> Command:
    try:
        return Command.model_validate(orjson.loads(text))
    except orjson.JSONDecodeError as exc:
        raise Invalid("the frame is not valid JSON", code="malformed_json") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise Invalid(str(first["msg"]), field=field) from exc


async def handle(rt: Runtime, client: Client, text: str) -> dict[str, Any]:
    """Run one frame received from `client`; the frame to answer with."""
    ref: str | None = None
    try:
        command = _parse(text)
        ref = command.ref
        if command.type == "ping":
            return control("pong", ref=ref)
        if client.alarm_id is None:
            raise Invalid("seats act over HTTP; this socket only pushes", field="type")
        alarm_id = client.alarm_id

        async def run(session: AsyncSession) -> dict[str, Any]:
            alarm = await session.get(Alarm, alarm_id)
            incident = await session.get(Incident, alarm.incident_id) if alarm else None
            if alarm is None or incident is None:
                raise NotFound("no such alarm", field="alarm_id")
            if command.type == "message":
                message = await messaging_service.post(
                    session,
                    incident=incident,
                    alarm_id=alarm.id,
                    sender="reporter",
                    actor=client.actor,
                    text=command.text,
                    media_ids=command.media_ids,
                )
            else:
                if command.message_id is None:
                    raise Invalid("message_id is required", field="message_id")
                message = await receipts.get_in_alarm(session, alarm.id, command.message_id)
                await receipts.mark_read(session, message, by="reporter", actor=client.actor)
            return messaging_service.public(message)

        # The socket may close mid-command; the command still ends, committed or rolled back.
        return control("ack", ref=ref, message=await shielded(rt.sessions, run))
    except DomainError as exc:
        return _error(exc, ref)
