"""Push endpoints: WebSocket and server-sent events, for seats and for reporters.

- `GET /api/v1/seat/ws`, `GET /api/v1/seat/events` (SSE): every event of the seat's
  centre and the centres below it. Seat bearer in `Authorization` or `?access_token=`.
- `GET /api/v1/alarms/{id}/ws`, `GET /api/v1/alarms/{id}/events` (SSE): status changes,
  messages and receipts of that alarm. Reporter token, the same two ways. Over the
  WebSocket the reporter may also send `{"type": "message", "text", "media_ids", "ref"}`
  and `{"type": "read", "message_id", "ref"}`; each is answered by an `ack` or an `error`
  frame carrying the same `ref`.

`?after=<event id>` (SSE also `Last-Event-ID`) replays what was missed, in order.
Refusals are answered before the upgrade with the JSON error body and its 4xx status.

A seat's connection checks its token again about once per heartbeat interval: once the
token no longer signs the seat in (signed out, expired, idle for longer than the seat idle
time, the seat disabled or its password changed), the WebSocket is closed with 4401 `signed
out` and the event stream ends, so a disabled seat stops receiving events within a heartbeat
or two. A token already idle cannot open one (401 `session_idle`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import HTTPConnection

from netalarm.accounts import service as accounts_service
from netalarm.core.db import shielded
from netalarm.core.errors import DomainError, Unauthorized
from netalarm.core.http import Runtime, parse_uuid
from netalarm.intake import service as intake_service
from netalarm.realtime import commands, stream
from netalarm.realtime.hub import Client
from netalarm.realtime.runtime import Realtime
from netalarm.routing import service as routing_service

log = logging.getLogger(__name__)

router = APIRouter(tags=["realtime"])

SLOW_CLOSE = 4008  # the client fell too far behind; reconnect with ?after=
SIGNED_OUT_CLOSE = 4401  # the seat's token no longer holds: sign in again (4000 + 401, as `_deny`)


def _token(conn: HTTPConnection) -> str | None:
    scheme, _, token = conn.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return conn.query_params.get("access_token") or None


def _parts(conn: HTTPConnection) -> tuple[Runtime, Realtime]:
    return conn.app.state.runtime, conn.app.state.realtime


async def _seat_client(conn: HTTPConnection) -> Client:
    rt, _ = _parts(conn)
    token = _token(conn)
    if not token:
        raise Unauthorized("a seat bearer token is required", field="authorization")
    async with rt.sessions() as session:
        seat = await accounts_service.seat_from_token(
            session, token, idle_timeout_s=rt.settings.seat_idle_timeout_s
        )
        centre_ids = await routing_service.subtree_ids(session, seat.centre_id)
    return Client(queue_size=rt.settings.ws_queue_size, centre_ids=centre_ids, actor=seat.actor)


async def _reporter_client(conn: HTTPConnection, alarm_id: str) -> Client:
    rt, _ = _parts(conn)
    token = _token(conn)
    if not token:
        raise Unauthorized("the reporter token is required", field="authorization")
    reporter = accounts_service.reporter_id_from_token(token, rt.key)
    async with rt.sessions() as session:
        found = await intake_service.get_for_reporter(session, parse_uuid(alarm_id, "alarm_id"), reporter)
    return Client(queue_size=rt.settings.ws_queue_size, alarm_id=found.alarm.id, actor=f"reporter:{reporter}")


async def _signed_in(rt: Runtime, token: str) -> bool:
    """Whether the seat's token still holds, idle time included. A database that cannot answer
    counts as yes: an outage should not drop every console's live connection."""
    idle_timeout_s = rt.settings.seat_idle_timeout_s
    try:
        return await shielded(
            rt.sessions,
            lambda session: accounts_service.token_valid(session, token, idle_timeout_s=idle_timeout_s),
        )
    except (SQLAlchemyError, OSError) as exc:
        log.warning("seat token not rechecked: %s: %s", type(exc).__name__, exc)
        return True


async def _until_signed_out(rt: Runtime, token: str) -> None:
    """Returns once `token` no longer signs its seat in, looked at about every heartbeat
    interval (the first look comes up to half an interval early, at random, so consoles that
    connected together do not all look at once)."""
    interval = rt.settings.ws_heartbeat_s
    wait = interval * random.uniform(1 - stream.HEARTBEAT_SPREAD, 1)
    while True:
        await asyncio.sleep(wait)
        if not await _signed_in(rt, token):
            return
        wait = interval


def _json(frame: dict[str, Any]) -> str:
    return orjson.dumps(frame).decode()


async def _serve_ws(
    websocket: WebSocket, client: Client, after: str | None, *, batch: bool, seat_token: str | None = None
) -> None:
    rt, realtime = _parts(websocket)
    try:
        position = await stream.position(rt.sessions, after)
    except DomainError as exc:
        await _deny(websocket, exc)
        return
    await websocket.accept()
    # No lock around sends: the server writes each ASGI message as one whole frame, and the
    # event pump and the command answers do not need an order between them. A lock taken for
    # every frame of every seat was a measurable share of the fan-out.
    send = websocket.send_text

    async def pump() -> None:
        frames = stream.frames(
            realtime.hub, rt.sessions, client, position, heartbeat_s=rt.settings.ws_heartbeat_s
        )
        async with contextlib.aclosing(frames):
            async for ready in frames:
                texts = [stream.text(frame, event) for frame, event in ready]
                if batch and len(texts) > 1:
                    # One message, one system call, for a burst: a JSON array of frames.
                    await send("[" + ",".join(texts) + "]")
                else:
                    for text in texts:
                        await send(text)
                for _, event in ready:
                    if event is not None and event.type == "message":
                        await stream.acknowledge(rt.sessions, client, event)

    async def listen() -> None:
        while True:
            text = await websocket.receive_text()
            await send(_json(await commands.handle(rt, client, text)))

    tasks = [asyncio.create_task(job) for job in (pump(), listen(), client.slow.wait())]
    watch = asyncio.create_task(_until_signed_out(rt, seat_token)) if seat_token else None
    if watch is not None:
        tasks.append(watch)
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    for task in pending:
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
            await task
    for task in done:
        error = task.exception()
        if error is not None and not isinstance(error, WebSocketDisconnect | RuntimeError):
            log.warning("push connection ended: %s: %s", type(error).__name__, error)
    if client.slow.is_set():
        # A stalled peer may not read the close frame either; do not wait for it long.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(websocket.close(code=SLOW_CLOSE, reason="too slow"), timeout=1)
    elif watch is not None and watch in done and watch.exception() is None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(websocket.close(code=SIGNED_OUT_CLOSE, reason="signed out"), timeout=1)


async def _deny(websocket: WebSocket, exc: DomainError) -> None:
    """Refuse the upgrade with an HTTP answer (the JSON error body), or, where the server
    cannot send one, close at once with 4000 + the status."""
    try:
        await websocket.send_denial_response(JSONResponse(exc.body(), status_code=exc.status))
    except RuntimeError:
        await websocket.close(code=4000 + exc.status, reason=exc.message[:120])


@router.websocket("/api/v1/seat/ws")
async def seat_ws(websocket: WebSocket, after: str | None = None, batch: bool = False) -> None:
    """With `batch=1`, events that are ready together (a burst) arrive as one message holding
    a JSON array of frames; otherwise every frame is a message of its own."""
    try:
        client = await _seat_client(websocket)
    except DomainError as exc:
        await _deny(websocket, exc)
        return
    await _serve_ws(websocket, client, after, batch=batch, seat_token=_token(websocket))


@router.websocket("/api/v1/alarms/{alarm_id}/ws")
async def reporter_ws(websocket: WebSocket, alarm_id: str, after: str | None = None) -> None:
    try:
        client = await _reporter_client(websocket, alarm_id)
    except DomainError as exc:
        await _deny(websocket, exc)
        return
    await _serve_ws(websocket, client, after, batch=False)


async def _sse(
    request: Request, client: Client, after: str | None, seat_token: str | None = None
) -> StreamingResponse:
    rt, realtime = _parts(request)
    position = await stream.position(rt.sessions, after or request.headers.get("last-event-id"))

    async def body() -> AsyncIterator[bytes]:
        heartbeat_s = rt.settings.ws_heartbeat_s
        frames = stream.frames(realtime.hub, rt.sessions, client, position, heartbeat_s=heartbeat_s)
        # Looked at whenever something goes out: a heartbeat comes at least every interval.
        watch = asyncio.create_task(_until_signed_out(rt, seat_token)) if seat_token else None
        try:
            async with contextlib.aclosing(frames):
                async for ready in frames:
                    if watch is not None and watch.done():
                        return
                    for frame, event in ready:
                        if event is None:
                            yield f"event: {frame['type']}\ndata: {_json(frame)}\n\n".encode()
                            continue
                        data = stream.text(frame, event)
                        yield f"id: {frame['id']}\nevent: {frame['type']}\ndata: {data}\n\n".encode()
                        if event.type == "message":
                            await stream.acknowledge(rt.sessions, client, event)
        finally:
            if watch is not None:
                watch.cancel()

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)


@router.get("/api/v1/seat/events", response_class=StreamingResponse)
async def seat_events(request: Request, after: str | None = None) -> StreamingResponse:
    """Server-sent events with the frames of `/api/v1/seat/ws`."""
    return await _sse(request, await _seat_client(request), after, seat_token=_token(request))


@router.get("/api/v1/alarms/{alarm_id}/events", response_class=StreamingResponse)
async def reporter_events(request: Request, alarm_id: str, after: str | None = None) -> StreamingResponse:
    """Server-sent events with the frames of `/api/v1/alarms/{id}/ws` (receiving only)."""
    return await _sse(request, await _reporter_client(request, alarm_id), after)
