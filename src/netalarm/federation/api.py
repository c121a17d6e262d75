"""Federation HTTP: on a superior, the doors its subordinates knock on, each message signed
with that subordinate's key (`NETALARM_FEDERATION_KEYS`); on a subordinate, the state of its
link to the superior, for seats."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError

from netalarm.boundary import inside, outside
from netalarm.boundary.document import ACTORS, AfterMap, Forward, ProgressMap
from netalarm.core.errors import Forbidden, Invalid
from netalarm.core.http import RuntimeDep, SeatDep, Session
from netalarm.federation import service as federation_service
from netalarm.federation import signing
from netalarm.routing import service as routing_service

router = APIRouter(prefix="/api/v1/federation", tags=["federation"])


async def _signed(request: Request, rt: RuntimeDep) -> tuple[str, bytes]:
    keys = rt.settings.subordinate_keys()
    if not keys:
        raise Forbidden(
            "this server accepts no subordinates (NETALARM_FEDERATION_KEYS)", code="no_federation"
        )
    body = await request.body()
    sender = signing.verify(keys, request.headers, request.method, request.url.path, body)
    return sender, body


M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], body: bytes) -> M:
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        raise Invalid(f"{field or 'body'}: {first['msg']}", field=field) from exc


@router.post("/escalations", status_code=201)
async def receive_escalation(request: Request, session: Session, rt: RuntimeDep) -> Any:
    """A subordinate's incident, handed up: made an incident here once (201); the same
    escalation again gets the same answer (200)."""
    sender, body = await _signed(request, rt)
    forward = _parse(Forward, body)

    async def receive() -> inside.Received:
        root = await routing_service.root(session, rt.settings.centre or None)
        return await inside.receive(
            session,
            forward,
            root=root,
            timezone=rt.settings.timezone,
            source=sender,
            first_type="escalated_in",
            actor=ACTORS["superior"],
        )

    try:
        received = await receive()
        await session.commit()
    except IntegrityError:  # the same escalation, sent at once by another of its processes
        await session.rollback()
        received = await receive()
    answer = {"incident_id": str(received.incident_id), "case_number": received.case_number}
    return JSONResponse(answer, status_code=201 if received.created else 200)


@router.post("/progress")
async def escalation_progress(request: Request, session: Session, rt: RuntimeDep) -> dict[str, Any]:
    """What happened here to the sender's escalations after the entries it has."""
    sender, body = await _signed(request, rt)
    ask = _parse(AfterMap, body)
    found = await inside.progress(session, ask.after, source=sender)
    return ProgressMap(updates=found).model_dump(mode="json")


@router.post("/news")
async def escalation_news(request: Request, session: Session, rt: RuntimeDep) -> dict[str, Any]:
    """What happened at the sender to its escalations since it last said: the reporter's and
    its seats' messages, the reporter's positions; recorded once each. `applied` is, per
    escalation, the last entry recorded (404 for one this sender did not send)."""
    sender, body = await _signed(request, rt)
    batch = _parse(ProgressMap, body)
    applied: dict[str, int] = {}
    for forward_id, updates in batch.updates.items():
        applied[str(forward_id)] = await inside.take_news(
            session, forward_id, updates, source=sender, actor=ACTORS["superior"]
        )
    await session.commit()
    return {"applied": applied}


@router.get("/status")
async def federation_status(
    request: Request, session: Session, rt: RuntimeDep, seat: SeatDep
) -> dict[str, Any]:
    """For seats: whether this server has a superior, how many escalations wait for it to take
    them, and when the sender last reached it (and the last error)."""
    sender = getattr(request.app.state, "federation", None)
    if sender is None:
        return {"superior": False}
    waiting = await outside.waiting_count(session, federation_service.TARGET)
    return {"superior": True, "waiting": waiting, **sender.status()}
