"""Two intake servers that store nothing: the most a Python intake could do on these cores.

- `bare`: an ASGI app with no framework. It reads the body, parses it as JSON and answers
  201 with a JSON body of the intake answer's shape.
- `framework`: the same answer from FastAPI, through the real route's class (`JsonBodyRoute`)
  and netalarm's own intake model (`AlarmIn`), as the real route does before it stores
  anything.

Served by uvicorn as `netalarm serve` is (same worker count, uvloop, httptools) and loaded
by the same load generator, their rates bound the real intake's from above: `bare` by what
the machine's cores allow any Python server with this load generator, `framework` by what
the web framework leaves.

    python -m uvicorn ceiling:bare --app-dir bench --workers 2
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response

from netalarm.core.http import JsonBodyRoute
from netalarm.intake.schemas import AlarmAccepted, AlarmIn

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def answer(key: str) -> dict[str, str]:
    return {
        "id": str(uuid.uuid4()),
        "incident_id": str(uuid.uuid4()),
        "case_number": "440300-20261126-000001",
        "status": "received",
        "reporter_token": key * 3,
        "created_at": "2026-11-26T00:00:00+00:00",
    }


async def bare(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["method"] != "POST":  # the readiness probe
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = json.dumps(answer(json.loads(b"".join(chunks))["idempotency_key"])).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 201, "headers": headers})
    await send({"type": "http.response.body", "body": body})


framework = FastAPI(telemetry={"tracing": False, "metrics": False, "logs": False})  # as netalarm's app


async def submit_alarm(body: AlarmIn, request: Request) -> Response:
    return Response(
        orjson.dumps(answer(body.idempotency_key)), status_code=201, media_type="application/json"
    )


framework.router.add_api_route(
    "/api/v1/alarms",
    submit_alarm,
    methods=["POST"],
    status_code=201,
    response_model=AlarmAccepted,
    route_class_override=JsonBodyRoute,
)


@framework.get("/")
async def ready() -> dict[str, bool]:
    return {"ok": True}
