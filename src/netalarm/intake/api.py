"""Reporter-side HTTP: submit an alarm, read its status, send positions."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request, Response

from netalarm.accounts import service as accounts_service
from netalarm.core.clock import iso
from netalarm.core.errors import Conflict, Invalid
from netalarm.core.http import JsonBodyRoute, ReporterDep, Session, optional_reporter, parse_uuid, runtime
from netalarm.incidents import service as incident_service
from netalarm.intake import service as intake_service
from netalarm.intake.batcher import IntakeBatcher
from netalarm.intake.schemas import AlarmAccepted, AlarmIn, CategoryIn, LocationIn, WithdrawIn
from netalarm.intake.service import Submission

router = APIRouter(prefix="/api/v1/alarms", tags=["reporter"])

# Keys the server makes for alarms of its own channels (an SMS, a forward over the 110 link).
RESERVED_KEYS = ("sms:", "sms-h:", "link:")


async def submit_alarm(body: AlarmIn, request: Request) -> Response:
    """Raise an alarm. A retry with the same `idempotency_key` returns the same alarm (200),
    to the same request or the same reporter's token; another request under a key already used
    is refused (409 `idempotency_key_reused`), so a guessed key gives away nothing. Keys
    starting `sms:`, `sms-h:` or `link:` are the server's own (422). The answer comes after the
    alarm is committed. A reporter's bearer token, if sent, files the alarm under that reporter."""
    # The busiest route of all, so a lean one (`JsonBodyRoute`): no dependencies.
    rt, reporter = runtime(request), optional_reporter(request)
    if body.idempotency_key.startswith(RESERVED_KEYS):
        raise Invalid("this key prefix is the server's own; make another key", field="idempotency_key")
    batcher: IntakeBatcher = request.app.state.intake
    result = await batcher.submit(Submission(body, reporter))
    if not intake_service.may_have_token(result, body, reporter):
        raise Conflict(
            "this idempotency_key was used for another request; make a new key for a new alarm",
            field="idempotency_key",
            code="idempotency_key_reused",
        )
    answer = {
        "id": str(result.alarm.id),
        "incident_id": str(result.incident.id),
        "case_number": result.incident.case_number,
        "status": result.incident.status,
        "reporter_token": accounts_service.reporter_token(result.alarm.reporter_id, rt.key),
        "created_at": iso(result.alarm.created_at),
    }
    return Response(
        orjson.dumps(answer), status_code=201 if result.created else 200, media_type="application/json"
    )


router.add_api_route(
    "",
    submit_alarm,
    methods=["POST"],
    status_code=201,
    response_model=AlarmAccepted,
    responses={200: {"model": AlarmAccepted, "description": "The alarm stored before under this key."}},
    route_class_override=JsonBodyRoute,
)


@router.get("/{alarm_id}")
async def alarm_status(alarm_id: str, session: Session, reporter: ReporterDep) -> dict[str, Any]:
    found = await intake_service.get_for_reporter(session, parse_uuid(alarm_id, "alarm_id"), reporter)
    return intake_service.reporter_view(found)


@router.post("/{alarm_id}/locations", status_code=201)
async def post_location(
    alarm_id: str, body: LocationIn, session: Session, reporter: ReporterDep
) -> dict[str, Any]:
    """A live position update while the alarm is open."""
    found = await intake_service.get_for_reporter(session, parse_uuid(alarm_id, "alarm_id"), reporter)
    update = await incident_service.add_location(
        session,
        found.alarm,
        incident_service.Location(body.lat, body.lon, body.accuracy_m, body.source),
        actor=f"reporter:{reporter}",
    )
    await session.commit()
    return {"id": str(update.id), "at": iso(update.at)}


@router.post("/{alarm_id}/category")
async def state_category(
    alarm_id: str, body: CategoryIn, session: Session, reporter: ReporterDep
) -> dict[str, Any]:
    """The reporter says what is happening. It becomes the incident's category until a seat
    takes or classifies the incident (`applied` says whether it did); 409 once closed."""
    found = await intake_service.get_for_reporter(session, parse_uuid(alarm_id, "alarm_id"), reporter)
    applied = await incident_service.state_category(
        session, found.alarm, body.category, actor=f"reporter:{reporter}"
    )
    await session.commit()
    return {"category": body.category, "applied": applied}


@router.post("/{alarm_id}/withdraw")
async def withdraw(
    alarm_id: str, body: WithdrawIn, session: Session, reporter: ReporterDep
) -> dict[str, Any]:
    """The reporter takes the alarm back: sent by mistake (`mistake`) or safe now (`safe`).
    The seats are told; the case stays open until a seat closes it, and the police may
    still get in touch to make sure. A repeat answers the same (`withdrawn` false); 409
    once the case is closed. Answers the alarm as `GET` does."""
    found = await intake_service.get_for_reporter(session, parse_uuid(alarm_id, "alarm_id"), reporter)
    withdrawn = await incident_service.withdraw(
        session, found.alarm, body.reason, actor=f"reporter:{reporter}"
    )
    await session.commit()
    return {**intake_service.reporter_view(found), "withdrawn": withdrawn}
