"""A light HTTP/1.1 load generator: N keep-alive connections, each sending alarms back to
back for a fixed time, then waiting for its last answer, so every request it sent is either
acknowledged or counted as failed — nothing is in flight when it reports.

Runs as its own process (`python bench/loadgen.py --port P --connections C --seconds S`) and
prints one JSON line: acknowledged (2xx), failed, latencies in ms (p50, p99, max), and its own
CPU time over the run's (`loadgen_cpu`; near 1.0, the load generator is what limits the rate).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time

CATEGORIES = ("violence", "robbery_theft", "fraud", "traffic", "fire", "medical", "disturbance", "other")


def body(prefix: str, n: int) -> bytes:
    """A realistic alarm: position in one of the demo districts, a description, an identity."""
    lat = 22.50 + random.random() * 0.12
    lon = 113.90 + random.random() * 0.30
    doc = {
        "idempotency_key": f"{prefix}-{n}",
        "category": random.choice(CATEGORIES),
        "description": "有人在小区门口打架，其中一人手里拿着棍子，请尽快派人来。" * 2,
        "silent": random.random() < 0.1,
        "location": {"lat": round(lat, 6), "lon": round(lon, 6), "accuracy_m": 12.5, "source": "gps"},
        "reporter": {"name": "张伟", "phone": f"+86138{random.randrange(10**8):08d}", "language": "zh-CN"},
    }
    return json.dumps(doc, ensure_ascii=False).encode()


def request(host: str, port: int, payload: bytes) -> bytes:
    head = (
        f"POST /api/v1/alarms HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


async def read_status(reader: asyncio.StreamReader) -> int:
    """Read one whole HTTP/1.1 answer (head and Content-Length body); its status code."""
    status_line = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(status_line.split(b" ", 2)[1])


async def connection(host: str, port: int, prefix: str, deadline: float, out: dict[str, list[float]]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    n = 0
    try:
        while time.monotonic() < deadline:
            n += 1
            started = time.perf_counter()
            writer.write(request(host, port, body(prefix, n)))
            status = await read_status(reader)
            elapsed = (time.perf_counter() - started) * 1000
            out["ok" if 200 <= status < 300 else "failed"].append(elapsed)
    finally:
        writer.close()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(args: argparse.Namespace) -> None:
    out: dict[str, list[float]] = {"ok": [], "failed": []}
    deadline = time.monotonic() + args.seconds
    prefix = f"bench-{os.getpid()}-{random.randrange(10**9)}"
    started, cpu_started = time.monotonic(), time.process_time()
    await asyncio.gather(
        *(connection(args.host, args.port, f"{prefix}-{c}", deadline, out) for c in range(args.connections))
    )
    elapsed = time.monotonic() - started
    cpu = time.process_time() - cpu_started
    ok = out["ok"]
    print(
        json.dumps(
            {
                "connections": args.connections,
                "seconds": round(elapsed, 2),
                "acknowledged": len(ok),
                "failed": len(out["failed"]),
                "per_s": round(len(ok) / elapsed, 1),
                "p50_ms": round(percentile(ok, 0.50), 2),
                "p99_ms": round(percentile(ok, 0.99), 2),
                "max_ms": round(max(ok, default=0.0), 2),
                "loadgen_cpu": round(cpu / elapsed, 2),
            }
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10)
    import uvloop

    uvloop.run(main(parser.parse_args()))
