"""What every HTTP handler shares: the app's runtime, a database session, the caller's
identity, and the translation of errors into the JSON body of DESIGN.md."""

from __future__ import annotations

import hmac
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, get_type_hints

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException

from netalarm.accounts import service as accounts_service
from netalarm.accounts.service import SeatIdentity
from netalarm.core.errors import DomainError, Forbidden, Invalid, Unauthorized
from netalarm.core.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Per-process state, built once at start-up and kept on `app.state.runtime`."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    key: bytes


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


async def db(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for this request. Handlers commit explicitly before answering, so a 2xx
    always means committed; anything not committed is rolled back here."""
    async with runtime(request).sessions() as session:
        yield session


# FastAPI runs a plain `def` dependency in a thread pool; the ones here do no I/O, so their
# dependency forms are `async def` and stay on the event loop (a hop per request costs more
# than the work).
async def _runtime(request: Request) -> Runtime:
    return runtime(request)


Session = Annotated[AsyncSession, Depends(db)]
RuntimeDep = Annotated[Runtime, Depends(_runtime)]


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if not request.scope.get("query_string"):
        return None  # most requests: parsing an empty query was 2 % of a busy intake's CPU
    return request.query_params.get("access_token") or None


# Requests a client makes on its own (polling, refreshing) carry this header set to "1" so
# they do not count as the seat acting: an unattended console still signs out when idle.
BACKGROUND_HEADER = "x-netalarm-background"


async def current_seat(request: Request, session: Session) -> SeatIdentity:
    """The signed-in seat; refused when the token is unknown, expired or idle too long."""
    token = bearer(request)
    if not token:
        raise Unauthorized("a seat bearer token is required", field="authorization")
    activity = request.headers.get(BACKGROUND_HEADER) != "1"
    seat = await accounts_service.seat_from_token(
        session, token, idle_timeout_s=runtime(request).settings.seat_idle_timeout_s, activity=activity
    )
    await session.commit()  # the touch of `last_used_at`, if any; the handler starts afresh
    return seat


def current_reporter(request: Request) -> uuid.UUID:
    token = bearer(request)
    if not token:
        raise Unauthorized("the reporter token is required", field="authorization")
    return accounts_service.reporter_id_from_token(token, runtime(request).key)


async def _reporter(request: Request) -> uuid.UUID:
    return current_reporter(request)


def optional_reporter(request: Request) -> uuid.UUID | None:
    """The reporter of the bearer token, if one was sent; a bad token is still refused."""
    return current_reporter(request) if bearer(request) else None


def require_secret(request: Request, secret: str, *, who: str, off_code: str, off_message: str) -> None:
    """A machine caller (an SMS gateway, the 110 link) must send `secret` as its bearer token.
    An empty `secret` means the door is switched off: 403 `off_code`; a wrong or missing
    token is 401."""
    if not secret:
        raise Forbidden(off_message, code=off_code)
    given = bearer(request)
    if not given or not hmac.compare_digest(given.encode(), secret.encode()):
        raise Unauthorized(f"{who}'s bearer token is required", field="authorization")


SeatDep = Annotated[SeatIdentity, Depends(current_seat)]
ReporterDep = Annotated[uuid.UUID, Depends(_reporter)]


class JsonBodyRoute(APIRoute):
    """The route of a hot endpoint `async def f(body: SomeModel, request: Request) -> Response`:
    the body is validated from the raw bytes in one pass of pydantic's JSON parser and the
    endpoint is called directly — no dependencies resolved, the answer not serialised again.
    Its OpenAPI entry and its errors are those of any route. (FastAPI's general handler was
    a fifth of a busy intake's CPU.)"""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint
        model: type[BaseModel] = get_type_hints(endpoint)["body"]

        async def handler(request: Request) -> Response:
            raw = await request.body()
            if not raw:
                missing = {
                    "type": "missing",
                    "loc": ("body",),
                    "msg": "a JSON body is required",
                    "input": None,
                }
                raise RequestValidationError([missing])
            try:
                body = model.model_validate_json(raw)
            except ValidationError as exc:
                raise RequestValidationError(exc.errors(include_url=False)) from None
            answer: Response = await endpoint(body, request)
            return answer

        return handler


def parse_uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise Invalid("not a valid id", field=field) from exc


def _field(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


def install_error_handlers(app: FastAPI) -> None:
    """Every refusal becomes `{"error": {code, message, field}}`; nothing becomes a bare 500."""

    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if exc.status == 429 and "retry_after_s" in exc.details:
            headers = {"Retry-After": str(exc.details["retry_after_s"])}
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        kind = str(first.get("type", ""))
        loc = tuple(first.get("loc", ()))
        if kind == "json_invalid":
            body = {"code": "malformed_json", "message": "the body is not valid JSON", "field": None}
            return JSONResponse({"error": body}, status_code=400)
        code = "unknown_field" if kind == "extra_forbidden" else "invalid"
        message = str(first.get("msg", "invalid input"))
        if kind == "extra_forbidden":
            message = "unknown field"
        return JSONResponse(
            {"error": {"code": code, "message": message, "field": _field(loc)}}, status_code=422
        )

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        body = {"code": code, "message": str(exc.detail), "field": None}
        return JSONResponse(
            {"error": body}, status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        body = {"code": "internal", "message": "internal error; nothing was acknowledged", "field": None}
        return JSONResponse({"error": body}, status_code=500)
