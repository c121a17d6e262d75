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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.requests import HTTPConnection

from netalarm.accounts import service as accounts_service
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
        seat = await accounts_service.seat_from_token(session, token)
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


def _json(frame: dict[str, Any]) -> str:
    return orjson.dumps(frame).decode()


async def _serve_ws(websocket: WebSocket, client: Client, after: str | None, *, batch: bool) -> None:
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
    await _serve_ws(websocket, client, after, batch=batch)


@router.websocket("/api/v1/alarms/{alarm_id}/ws")
async def reporter_ws(websocket: WebSocket, alarm_id: str, after: str | None = None) -> None:
    try:
        client = await _reporter_client(websocket, alarm_id)
    except DomainError as exc:
        await _deny(websocket, exc)
        return
    await _serve_ws(websocket, client, after, batch=False)


async def _sse(request: Request, client: Client, after: str | None) -> StreamingResponse:
    rt, realtime = _parts(request)
    position = await stream.position(rt.sessions, after or request.headers.get("last-event-id"))

    async def body() -> AsyncIterator[bytes]:
        frames = stream.frames(
            realtime.hub, rt.sessions, client, position, heartbeat_s=rt.settings.ws_heartbeat_s
        )
        async with contextlib.aclosing(frames):
            async for ready in frames:
                for frame, event in ready:
                    if event is None:
                        yield f"event: {frame['type']}\ndata: {_json(frame)}\n\n".encode()
                        continue
                    data = stream.text(frame, event)
                    yield f"id: {frame['id']}\nevent: {frame['type']}\ndata: {data}\n\n".encode()
                    if event.type == "message":
                        await stream.acknowledge(rt.sessions, client, event)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)


@router.get("/api/v1/seat/events", response_class=StreamingResponse)
async def seat_events(request: Request, after: str | None = None) -> StreamingResponse:
    """Server-sent events with the frames of `/api/v1/seat/ws`."""
    return await _sse(request, await _seat_client(request), after)


@router.get("/api/v1/alarms/{alarm_id}/events", response_class=StreamingResponse)
async def reporter_events(request: Request, alarm_id: str, after: str | None = None) -> StreamingResponse:
    """Server-sent events with the frames of `/api/v1/alarms/{id}/ws` (receiving only)."""
    return await _sse(request, await _reporter_client(request, alarm_id), after)
