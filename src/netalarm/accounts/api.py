"""Seat sign-in and sign-out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from netalarm.accounts import service as accounts_service
from netalarm.core.errors import DomainError
from netalarm.core.http import RuntimeDep, SeatDep, Session, bearer

router = APIRouter(prefix="/api/v1/auth", tags=["seat"])


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


@router.post("/login")
async def login(body: LoginIn, session: Session, rt: RuntimeDep) -> dict[str, Any]:
    """401 `unauthorized` for a wrong username or password (one answer for both); 403
    `wrong_server` for a 110 seat on an Internet-side server or a network seat on an intranet
    one; 429
    `too_many_attempts` with `Retry-After` while the username is locked after
    `NETALARM_LOGIN_MAX_FAILURES` failures in a row."""
    settings = rt.settings
    try:
        token, seat, centre = await accounts_service.login(
            session,
            username=body.username,
            password=body.password,
            ttl_s=settings.seat_token_ttl_s,
            max_failures=settings.login_max_failures,
            lockout_s=settings.login_lockout_s,
            server_role=settings.role,
        )
    except DomainError:
        await session.commit()  # the failure is counted even though the answer is a refusal
        raise
    await session.commit()
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": rt.settings.seat_token_ttl_s,
        "seat": {
            "username": seat.username,
            "role": seat.role,
            "centre": centre.code,
            "name": seat.display_name,
        },
    }


@router.post("/logout", status_code=204)
async def logout(request: Request, session: Session, _seat: SeatDep) -> None:
    token = bearer(request)
    if token:
        await accounts_service.logout(session, token)
        await session.commit()


@router.get("/me")
async def me(seat: SeatDep) -> dict[str, Any]:
    return {"username": seat.username, "role": seat.role, "centre": seat.centre_code}
