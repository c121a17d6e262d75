"""Submit-to-seat latency across two server processes.

Two `netalarm serve` processes (A and B) share a fresh PostgreSQL database and the NATS
JetStream bus. A seat is connected to B's WebSocket; alarms are submitted to A one at a
time, each after the previous one reached the seat. Latency is measured on one clock (this
process): from just before the POST to A until the `alarm_received` event arrives from B.
Prints one JSON object (median, 99th percentile, ...) and keeps it in bench/results/notify.json.

    python bench/notify.py [--alarms 1000] [--nats nats://127.0.0.1:4222] [--bus nats|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import tempfile
import time
from typing import Any

import httpx
import nats
import websockets
from common import netalarm, pg_database, report, server

FUTIAN = {"lat": 22.5431, "lon": 114.0579, "accuracy_m": 15, "source": "gps"}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def measure(a: str, b: str, alarms: int) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as http:
        login = await http.post(
            f"{b}/api/v1/auth/login", json={"username": "shenzhen.net", "password": "demo-pass-110"}
        )
        token = login.json()["access_token"]
        ws_url = f"{b.replace('http://', 'ws://')}/api/v1/seat/ws?access_token={token}"
        async with websockets.connect(ws_url, max_queue=None) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            latencies: list[float] = []
            answers: list[float] = []
            for number in range(alarms):
                key = f"bench-{secrets.token_hex(8)}"
                started = time.perf_counter()
                answer = await http.post(
                    f"{a}/api/v1/alarms",
                    json={"idempotency_key": key, "description": key, "location": FUTIAN},
                )
                answered = time.perf_counter()
                assert answer.status_code == 201, answer.text
                alarm_id = answer.json()["id"]
                while True:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    if frame.get("type") == "alarm_received" and frame["data"]["alarm_id"] == alarm_id:
                        break
                latencies.append((time.perf_counter() - started) * 1000)
                answers.append((answered - started) * 1000)
                if number == 0:
                    latencies.clear()  # the first alarm warms caches and connections
                    answers.clear()
    return {
        "alarms": len(latencies),
        "submit_to_seat_ms": {
            "median": round(statistics.median(latencies), 2),
            "p90": round(percentile(latencies, 0.90), 2),
            "p99": round(percentile(latencies, 0.99), 2),
            "max": round(max(latencies), 2),
            "mean": round(statistics.fmean(latencies), 2),
        },
        "submit_answered_ms": {
            "median": round(statistics.median(answers), 2),
            "p99": round(percentile(answers, 0.99), 2),
        },
    }


async def delete_stream(server_url: str, name: str) -> None:
    nc = await nats.connect(server_url)
    try:
        await nc.jetstream().delete_stream(name)
    finally:
        await nc.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alarms", type=int, default=1000)
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    parser.add_argument("--bus", choices=["nats", "postgresql"], default="nats")
    args = parser.parse_args()
    stream = f"bench_{secrets.token_hex(4)}"
    with pg_database() as (_name, url), tempfile.TemporaryDirectory() as data:
        bus = (
            f"{args.nats}/{stream}"
            if args.bus == "nats"
            else url.replace("postgresql+asyncpg://", "postgresql://")
        )
        env = {
            "NETALARM_DATABASE_URL": url,
            "NETALARM_CENTRE": "440300",
            "NETALARM_SECRET_KEY": secrets.token_urlsafe(32),
            "NETALARM_BUS_URL": bus,
        }
        netalarm(["demo"], {**env, "NETALARM_DATA_DIR": f"{data}/seed"})
        try:
            with (
                server({**env, "NETALARM_DATA_DIR": f"{data}/a"}) as (a, _),
                server({**env, "NETALARM_DATA_DIR": f"{data}/b"}) as (b, _),
            ):
                figures = asyncio.run(measure(a, b, args.alarms + 1))
        finally:
            if args.bus == "nats":
                asyncio.run(delete_stream(args.nats, stream))
    settings = {"processes": 2, "bus": args.bus, "database": "postgresql", "submission": "one at a time"}
    report(f"notify-{args.bus}" if args.bus != "nats" else "notify", settings, figures)


if __name__ == "__main__":
    main()
