"""Reporter-side HTTP for verifying the phone of an alarm (bearer: the alarm's reporter token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from netalarm.channels.sms.worker import WorkerDep
from netalarm.core.errors import DomainError
from netalarm.core.http import ReporterDep, RuntimeDep, Session, parse_uuid
from netalarm.intake import service as intake_service
from netalarm.intake.schemas import Strict
from netalarm.verification import service as verification_service
from netalarm.verification.service import CODE_DIGITS, Policy

router = APIRouter(prefix="/api/v1/alarms", tags=["reporter"])


class CodeRequestIn(Strict):
    even_if_silent: bool = False


class CodeIn(Strict):
    code: str = Field(pattern=rf"^[0-9]{{{CODE_DIGITS}}}$", description="the six digits of the SMS")


@router.get("/{alarm_id}/phone")
async def phone(alarm_id: str, session: Session, reporter: ReporterDep, rt: RuntimeDep) -> dict[str, Any]:
    """The alarm's phone (masked) and whether it is verified; the open code's expiry and the
    attempts left; `next_code_in_s`, the wait before another code may be asked for."""
    found = await intake_service.get_for_reporter(session, parse_uuid(alarm_id, "alarm_id"), reporter)
    return await verification_service.for_reporter(session, found.alarm, policy=Policy.of(rt.settings))


@router.post("/{alarm_id}/phone/verification", status_code=202)
async def send_code(
    alarm_id: str,
    session: Session,
    reporter: ReporterDep,
    rt: RuntimeDep,
    worker: WorkerDep,
    body: CodeRequestIn | None = None,
) -> dict[str, Any]:
    """Send a six-digit code by SMS to the phone the reporter gave; 202 once the SMS is
    committed as `pending`, with the phone as `GET .../phone` shows it. 409
    `incident_closed`, `no_phone`, `phone_already_verified`, or `silent_alarm` (a silent
    alarm gets a code only with `even_if_silent` true); 429 `code_recently_sent` or
    `too_many_codes` with `Retry-After`. A new code replaces the one before."""
    found = await intake_service.get_for_reporter(session, parse_uuid(alarm_id, "alarm_id"), reporter)
    policy = Policy.of(rt.settings)
    await verification_service.send_code(
        session,
        found.alarm,
        key=rt.key,
        policy=policy,
        actor=f"reporter:{reporter}",
        even_if_silent=bool(body and body.even_if_silent),
    )
    answer = await verification_service.for_reporter(session, found.alarm, policy=policy)
    await session.commit()
    worker.wake()
    return answer


@router.post("/{alarm_id}/phone/verification/confirm")
async def confirm_code(
    alarm_id: str, body: CodeIn, session: Session, reporter: ReporterDep, rt: RuntimeDep
) -> dict[str, Any]:
    """Check the code: 200 with the phone verified. 422 `wrong_code` (with `attempts_left`)
    or `code_expired`; 429 `too_many_attempts` once the code is used up (a new one is needed;
    `Retry-After` when that must wait); 409 `no_code`, `incident_closed`, `no_phone` or
    `phone_already_verified`."""
    found = await intake_service.get_for_reporter(session, parse_uuid(alarm_id, "alarm_id"), reporter)
    policy = Policy.of(rt.settings)
    try:
        await verification_service.confirm(
            session, found.alarm, body.code, key=rt.key, policy=policy, actor=f"reporter:{reporter}"
        )
    except DomainError:
        await session.commit()  # a wrong code is counted even though the answer is a refusal
        raise
    answer = await verification_service.for_reporter(session, found.alarm, policy=policy)
    await session.commit()
    return answer
