"""A seat socket opened with `batch=1` may carry a burst as one JSON array of frames; every
event still arrives once, in order, and a plain socket keeps one frame per message."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

import httpx
import websockets

from tests.support.http import FUTIAN
from tests.support.push import login, ws_url
from tests.support.servers import Server


async def _alarm_ids(ws: Any, keys: set[str], within: float = 15) -> tuple[list[str], int]:
    """The descriptions of the `alarm_received` events in arrival order, and how many
    messages were arrays."""
    seen: list[str] = []
    arrays = 0
    async with asyncio.timeout(within):
        while not keys <= set(seen):
            data = json.loads(await ws.recv())
            arrays += isinstance(data, list)
            for frame in data if isinstance(data, list) else [data]:
                assert isinstance(frame, dict) and "type" in frame
                if frame["type"] == "alarm_received" and frame["data"]["description"] in keys:
                    seen.append(frame["data"]["description"])
    return seen, arrays


async def test_a_burst_reaches_a_batching_seat_once_in_order_and_a_plain_seat_frame_by_frame(
    demo_server: Server,
) -> None:
    base = demo_server.url
    token = login(base, "futian.net")
    batching = await websockets.connect(ws_url(base, "/api/v1/seat/ws", token) + "&batch=1", max_queue=None)
    plain = await websockets.connect(ws_url(base, "/api/v1/seat/ws", token), max_queue=None)
    try:
        for ws in (batching, plain):
            assert json.loads(await ws.recv())["type"] == "hello"
        tag = secrets.token_hex(4)
        keys = [f"burst-{tag}-{n:02d}" for n in range(40)]
        location = {"lat": FUTIAN[0], "lon": FUTIAN[1], "accuracy_m": 10, "source": "gps"}
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            answers = await asyncio.gather(
                *(
                    http.post(
                        "/api/v1/alarms", json={"idempotency_key": k, "description": k, "location": location}
                    )
                    for k in keys
                )
            )
        assert all(a.status_code == 201 for a in answers)
        got, arrays = await _alarm_ids(batching, set(keys))
        assert sorted(got) == sorted(keys)  # each once
        assert arrays >= 1  # 40 alarms committed together are pushed as a burst
        plain_got, plain_arrays = await _alarm_ids(plain, set(keys))
        assert plain_got == got  # the same (publication) order
        assert plain_arrays == 0
    finally:
        await batching.close()
        await plain.close()
