"""Connections held: reporter WebSockets on one server process.

Raises `--alarms` alarms (each with its own reporter token), opens `--connections` reporter
WebSockets spread over them to ONE server process (embedded defaults: SQLite, in-process
bus), holds them for `--hold` seconds while the server sends heartbeats, then a seat sends a
chat message to one chosen alarm and the time until that alarm's WebSocket receives it is the
probe (five probes a second apart; `probe_ms` is the slowest). Reports the server's RSS per
connection. Prints one JSON object.

    python bench/connections.py [--connections 5000] [--hold 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import secrets
import tempfile
import time
from typing import Any

import httpx
import websockets
from common import netalarm, report, server, tree_rss_kib

PROBES = 5


async def raise_alarms(base: str, count: int) -> list[dict[str, Any]]:
    limit = asyncio.Semaphore(32)
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:

        async def one(n: int) -> dict[str, Any]:
            async with limit:
                body = {"idempotency_key": f"conn-{n}-{secrets.token_hex(4)}", "silent": True}
                answer = await http.post("/api/v1/alarms", json=body)
                answer.raise_for_status()
                alarm: dict[str, Any] = answer.json()
                return alarm

        return list(await asyncio.gather(*(one(n) for n in range(count))))


async def hold(
    base: str, pid: int, connections: int, alarms: int, seconds: float, heartbeat_s: float
) -> dict[str, Any]:
    made = await raise_alarms(base, alarms)
    ws_base = base.replace("http://", "ws://")
    await asyncio.sleep(1)
    before = tree_rss_kib(pid)
    sockets: list[Any] = []
    for n in range(connections):
        alarm = made[n % len(made)]
        url = f"{ws_base}/api/v1/alarms/{alarm['id']}/ws?access_token={alarm['reporter_token']}"
        sockets.append(await websockets.connect(url, ping_interval=None, max_queue=64))
    frames = 0

    async def drain(ws: Any) -> None:
        nonlocal frames
        try:
            async for _ in ws:
                frames += 1
        except websockets.ConnectionClosed:
            pass

    readers = [asyncio.create_task(drain(ws)) for ws in sockets[1:]]
    await asyncio.sleep(seconds)
    held = sum(1 for ws in sockets if ws.state == websockets.protocol.State.OPEN)
    during = tree_rss_kib(pid)
    chosen, probe_ws = made[0], sockets[0]
    while True:  # skip what arrived before the probe (hello, heartbeats)
        try:
            await asyncio.wait_for(probe_ws.recv(), 0.05)
        except TimeoutError:
            break
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        login = await http.post(
            "/api/v1/auth/login", json={"username": "shenzhen.net", "password": "demo-pass-110"}
        )
        seat = {"Authorization": f"Bearer {login.json()['access_token']}"}
        # Several probes a second apart, so one that meets a heartbeat wave (every socket's
        # heartbeat falls due at about the same time) is seen, not hidden or alone.
        probes: list[float] = []
        for n in range(PROBES):
            text = f"probe {n}"
            started = time.perf_counter()
            sent = await http.post(
                f"/api/v1/incidents/{chosen['incident_id']}/messages", json={"text": text}, headers=seat
            )
            sent.raise_for_status()
            while True:
                frame = json.loads(await asyncio.wait_for(probe_ws.recv(), 10))
                if frame.get("type") == "message" and frame["data"]["message"]["text"] == text:
                    break
            probes.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(1)
    for task in readers:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return {
        "held": held,
        "rss_kib_before": before,
        "rss_kib_holding": during,
        "rss_kib_per_conn": round((during - before) / max(held, 1), 1),
        "probe_ms": round(max(probes), 1),
        "probe_ms_each": [round(ms, 1) for ms in probes],
        "frames_received": frames,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--alarms", type=int, default=1000)
    parser.add_argument("--hold", type=float, default=60)
    parser.add_argument("--heartbeat", type=float, default=15)
    parser.add_argument(
        "--compression", action="store_true", help="let the server accept permessage-deflate (off by default)"
    )
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with tempfile.TemporaryDirectory() as data:
        env = {
            "NETALARM_DATA_DIR": data,
            "NETALARM_DATABASE_URL": "",
            "NETALARM_WS_HEARTBEAT_S": str(args.heartbeat),
            "NETALARM_WS_COMPRESSION": str(args.compression).lower(),
        }
        netalarm(["demo"], env)
        with server(env, workers=1) as (base, process):
            figures = asyncio.run(
                hold(base, process.pid, args.connections, args.alarms, args.hold, args.heartbeat)
            )
    report(
        "connections",
        {
            "connections": args.connections,
            "alarms": args.alarms,
            "hold_s": args.hold,
            "heartbeat_s": args.heartbeat,
            # The clients offer permessage-deflate, as browsers do; the server accepts it only
            # when NETALARM_WS_COMPRESSION is on (--compression).
            "websocket_compression": "accepted" if args.compression else "offered, refused",
            "database": "sqlite",
            "bus": "memory",
            "workers": 1,
            "open_files_limit": hard,
            "was": soft,
        },
        figures,
    )


if __name__ == "__main__":
    main()
