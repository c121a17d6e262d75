"""Alarm to seat: 200 seat WebSockets over two server processes, alarms at a fixed rate.

Two `netalarm serve` processes (A and B) share a fresh PostgreSQL database and the NATS
JetStream bus. `--seats` seat WebSockets (default 200) are opened, half on A and half on B,
by `--clients` separate load-generator processes (default 2), using the demo's Futian and
Shenzhen city seats (several consoles per login): every one of them may see every alarm.
This process then posts alarms in Futian on an open-loop schedule — alarm i is sent at
t0 + i/rate, never waiting for earlier answers — alternating between A and B, for
`--seconds`. Every socket must receive every acknowledged alarm's `alarm_received` event.

Latency of one (alarm, seat) pair = the seat's receipt minus the moment the POST was written,
both read from CLOCK_MONOTONIC, which all processes of this machine share. The first
`--warmup` seconds of alarms are sent and checked for misses but not timed.

The seat clients speak a minimal WebSocket client (no compression offered, so the server
sends plain text frames) that reads one clock value per network read and finds the alarm
number in the frame without decoding the JSON: the load generator must not be the limit.
The JSON names the CPU used, during the sending window, by the servers, the load-generator
processes and the whole machine, so a reader can tell where the time went.

SLA limits are raised to one hour for the run, so the watchdog's alerts (a second fan-out
for every alarm after 15 to 30 s) do not mix into what is measured.

    python bench/notify.py [--rate 200] [--seconds 30] [--seats 200] [--clients 2]
                           [--nats nats://127.0.0.1:4222] [--bus nats|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import functools
import multiprocessing
import os
import random
import secrets
import struct
import tempfile
import time
from array import array
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, NamedTuple, cast
from urllib.parse import urlsplit

import httpx
import orjson
from common import (
    cpu_s,
    named_cpu_s,
    nats_stream,
    netalarm,
    pg_database,
    report,
    runqueue_wait_s,
    server,
    service_delta,
)
from loadgen import read_status, request

SEATS = ("shenzhen.net", "shenzhen.sup", "futian.net", "futian.sup")
PASSWORD = "demo-pass-110"
CATEGORIES = ("violence", "robbery_theft", "fraud", "traffic", "fire", "medical", "disturbance", "other")
TAG = b"(NB-"  # the alarm number rides in the description: "... (NB-000123)"


# --- measuring -----------------------------------------------------------------------------


def percentile(ordered: Any, fraction: float) -> float:
    return float(ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))])


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


# --- the seat clients (separate processes) -----------------------------------------------


class SeatSocket(asyncio.Protocol):
    """A seat console reduced to what the benchmark needs: the upgrade, text frames, pongs."""

    def __init__(self, host: str, path: str, alarms: int) -> None:
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
        self.buffer = bytearray()
        self.upgraded = False
        self.hello: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.received = array("d", bytes(8 * alarms))  # receipt time per alarm number, 0 = none
        self.count = 0
        self.duplicates = 0
        self.frames = 0
        self.closed: str | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transport is no asyncio.Transport subclass, but it writes like one.
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = self.closed or f"connection lost: {exc}"
        if not self.hello.done():
            self.hello.set_exception(ConnectionError(self.closed))

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buffer[: buffer.find(b"\r\n")])
            if b" 101 " not in status:
                self.closed = f"upgrade refused: {status.decode(errors='replace')}"
                self.hello.set_exception(ConnectionError(self.closed))
                return
            del buffer[: end + 4]
            self.upgraded = True
        offset = 0
        size = len(buffer)
        while size - offset >= 2:
            opcode = buffer[offset] & 0x0F
            length = buffer[offset + 1] & 0x7F
            start = offset + 2
            if length == 126:
                if size - offset < 4:
                    break
                length = struct.unpack_from("!H", buffer, offset + 2)[0]
                start = offset + 4
            elif length == 127:
                if size - offset < 10:
                    break
                length = struct.unpack_from("!Q", buffer, offset + 2)[0]
                start = offset + 10
            if size - start < length:
                break
            payload = bytes(buffer[start : start + length])
            offset = start + length
            self.frame(opcode, payload, now)
        del buffer[:offset]

    def frame(self, opcode: int, payload: bytes, now: float) -> None:
        self.frames += 1
        if opcode == 0x1:
            # One frame, or (batch=1) an array of the frames of a burst: every tagged
            # description is one alarm_received event (nothing else happens during the run).
            at = payload.find(TAG)
            if at >= 0 and b'"type":"alarm_received"' in payload:
                while at >= 0:
                    number = int(payload[at + 4 : at + 10])
                    if self.received[number]:
                        self.duplicates += 1
                    else:
                        self.received[number] = now
                        self.count += 1
                    at = payload.find(TAG, at + 10)
            elif not self.hello.done() and b'"type":"hello"' in payload:
                self.hello.set_result(None)
        elif opcode == 0x9 and self.transport is not None:  # ping → pong (masked, zero key)
            self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
        elif opcode == 0x8:
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
            self.closed = f"closed by the server: {code}"


async def seat_sockets(job: dict[str, Any], pipe: Connection) -> None:
    loop = asyncio.get_running_loop()
    sockets: list[SeatSocket] = []
    for base, token in job["sockets"]:
        parts = urlsplit(base)
        # As the seat console connects: bursts as one message.
        path = f"/api/v1/seat/ws?batch=1&access_token={token}"
        _, sock = await loop.create_connection(
            functools.partial(SeatSocket, parts.netloc, path, job["alarms"]),
            parts.hostname,
            parts.port,
        )
        sockets.append(sock)
    await asyncio.wait_for(asyncio.gather(*(s.hello for s in sockets)), 30)
    pipe.send("ready")
    await loop.run_in_executor(None, pipe.recv)  # "go"
    started = time.process_time()
    expected: list[int] = await loop.run_in_executor(None, pipe.recv)  # acknowledged alarm numbers
    cpu = time.process_time() - started
    # Wait until every socket has every acknowledged alarm, or the grace time is over.
    deadline = time.monotonic() + job["grace_s"]
    while time.monotonic() < deadline:
        if all(all(s.received[n] for n in expected) for s in sockets if s.closed is None):
            break
        await asyncio.sleep(0.2)
    pipe.send(
        {
            "cpu_s": cpu,
            "received": [s.received.tobytes() for s in sockets],
            "duplicates": sum(s.duplicates for s in sockets),
            "frames": sum(s.frames for s in sockets),
            "events": sum(s.count for s in sockets),
            "closed": [s.closed for s in sockets if s.closed],
        }
    )
    for sock in sockets:
        if sock.transport is not None:
            sock.transport.close()


def client_process(job: dict[str, Any], pipe: Connection) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(seat_sockets(job, pipe))


# --- the reporters (this process) ----------------------------------------------------------


def alarm_body(number: int, run: str) -> bytes:
    """A realistic alarm in Futian: position, description, identity; the number is tagged."""
    doc = {
        "idempotency_key": f"notify-{run}-{number}",
        "category": random.choice(CATEGORIES),
        "description": f"有人在小区门口打架，其中一人手里拿着棍子，请尽快派人来。 (NB-{number:06d})",
        "silent": random.random() < 0.1,
        "location": {
            "lat": round(22.5431 + random.uniform(-0.004, 0.004), 6),
            "lon": round(114.0579 + random.uniform(-0.004, 0.004), 6),
            "accuracy_m": 12.5,
            "source": "gps",
        },
        "reporter": {"name": "张伟", "phone": f"+86138{random.randrange(10**8):08d}", "language": "zh-CN"},
    }
    return orjson.dumps(doc)


class Reporters:
    """`connections` keep-alive HTTP/1.1 connections to one server, each posting the alarms
    it takes from a shared queue; an alarm waits in the queue only if all are busy."""

    def __init__(
        self, base: str, connections: int, sent: list[float], acked: list[float], statuses: list[int]
    ) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.queue: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()
        self.sent, self.acked, self.statuses = sent, acked, statuses
        self.workers = [asyncio.create_task(self.worker()) for _ in range(connections)]

    async def worker(self) -> None:
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while (item := await self.queue.get()) is not None:
            number, payload = item
            for _attempt in range(2):  # the same idempotency key: a retry makes no second alarm
                try:
                    if conn is None:
                        conn = await asyncio.open_connection(self.host, self.port)
                    moment, status = await asyncio.wait_for(self.exchange(conn, payload), 30)
                except (OSError, asyncio.IncompleteReadError, ValueError, IndexError, TimeoutError):
                    if conn is not None:
                        conn[1].close()
                    conn = None
                    continue
                self.statuses[number] = status
                if 200 <= status < 300:
                    self.sent[number] = moment
                    self.acked[number] = time.monotonic()
                break
        if conn is not None:
            conn[1].close()

    async def exchange(
        self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], payload: bytes
    ) -> tuple[float, int]:
        """(the moment the request was written, the answer's status)."""
        reader, writer = conn
        data = request(self.host, self.port, payload)
        sent = time.monotonic()
        writer.write(data)
        return sent, await read_status(reader)

    async def finish(self) -> None:
        for _ in self.workers:
            self.queue.put_nowait(None)
        await asyncio.gather(*self.workers)


class Sent(NamedTuple):
    """Per alarm number: when the POST was written and when its 2xx was read (0 for a refused
    one), the answer's status; and t0: alarm i was due at t0 + i/rate."""

    sent: list[float]
    acked: list[float]
    statuses: list[int]
    t0: float


async def send_alarms(servers: list[str], rate: float, count: int) -> Sent:
    """Post `count` alarms at `rate` per second, alternating servers."""
    sent = [0.0] * count
    acked = [0.0] * count
    statuses = [0] * count
    pools = [Reporters(base, 64, sent, acked, statuses) for base in servers]
    run = secrets.token_hex(4)
    bodies = [alarm_body(n, run) for n in range(count)]
    t0 = time.monotonic() + 0.05
    for number in range(count):
        due = t0 + number / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        pools[number % len(pools)].queue.put_nowait((number, bodies[number]))
    await asyncio.gather(*(pool.finish() for pool in pools))
    return Sent(sent, acked, statuses, t0)


def logins(base: str) -> list[str]:
    tokens = []
    for username in SEATS:
        answer = httpx.post(
            f"{base}/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=30
        )
        answer.raise_for_status()
        tokens.append(answer.json()["access_token"])
    return tokens


def measure(servers: list[tuple[str, int]], args: argparse.Namespace) -> dict[str, Any]:
    bases = [base for base, _ in servers]
    tokens = logins(bases[0])
    count = round(args.rate * (args.seconds + args.warmup))
    warm = round(args.rate * args.warmup)
    # Socket i goes to server i % 2 and client process i % clients: 100 per server.
    plan = [(bases[i % len(bases)], tokens[(i // len(bases)) % len(tokens)]) for i in range(args.seats)]
    ctx = multiprocessing.get_context("spawn")
    pipes: list[Connection] = []
    processes = []
    for c in range(args.clients):
        job = {"sockets": plan[c :: args.clients], "alarms": count, "grace_s": args.grace}
        ours, theirs = ctx.Pipe()
        process = ctx.Process(target=client_process, args=(job, theirs), daemon=True)
        process.start()
        pipes.append(ours)
        processes.append(process)
    try:
        for pipe in pipes:
            if not pipe.poll(90) or pipe.recv() != "ready":
                raise RuntimeError("a seat client did not connect its sockets")
        server_cpu = [cpu_s(pid) for _, pid in servers]
        server_sys = [cpu_s(pid, system_only=True) for _, pid in servers]
        server_wait = [runqueue_wait_s(pid) for _, pid in servers]
        busy, total = machine_busy()
        services = {name: named_cpu_s(name) for name in ("postgres", "nats-server")}
        started = time.monotonic()
        own = time.process_time()
        for pipe in pipes:
            pipe.send("go")
        try:
            import uvloop

            sent, acked, statuses, t0 = uvloop.run(send_alarms(bases, args.rate, count))
        except ImportError:
            sent, acked, statuses, t0 = asyncio.run(send_alarms(bases, args.rate, count))
        window = time.monotonic() - started
        own = time.process_time() - own
        server_cpu = [cpu_s(pid) - before for (_, pid), before in zip(servers, server_cpu, strict=True)]
        pids = [pid for _, pid in servers]
        server_sys = [cpu_s(pid, system_only=True) - b for pid, b in zip(pids, server_sys, strict=True)]
        server_wait = [runqueue_wait_s(pid) - b for pid, b in zip(pids, server_wait, strict=True)]
        busy_after, total_after = machine_busy()
        services_used = {name: service_delta(before, named_cpu_s(name)) for name, before in services.items()}
        acknowledged = [n for n in range(count) if sent[n]]
        for pipe in pipes:
            pipe.send(acknowledged)
        results = [pipe.recv() for pipe in pipes]
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    latencies = array("d")
    missed = 0
    sockets = 0
    for result in results:
        for raw in result["received"]:
            sockets += 1
            received = array("d")
            received.frombytes(raw)
            for number in acknowledged:
                if not received[number]:
                    missed += 1
                elif number >= warm:
                    latencies.append((received[number] - sent[number]) * 1000)
    ordered = sorted(latencies)
    acks = sorted((acked[n] - sent[n]) * 1000 for n in acknowledged if n >= warm)
    lags = sorted((sent[n] - (t0 + n / args.rate)) * 1000 for n in acknowledged)
    refused = sum(1 for s in statuses if not 200 <= s < 300)
    return {
        "rate_per_s": round(len(acknowledged) / (count / args.rate), 1),
        "p50_ms": round(percentile(ordered, 0.50), 2),
        "p99_ms": round(percentile(ordered, 0.99), 2),
        "max_ms": round(ordered[-1], 2),
        "missed": missed,
        "alarms_sent": count,
        "alarms_acknowledged": len(acknowledged),
        "alarms_refused": refused,
        "seat_sockets": sockets,
        "deliveries_timed": len(latencies),
        "p90_ms": round(percentile(ordered, 0.90), 2),
        "p999_ms": round(percentile(ordered, 0.999), 2),
        # The reporter's wait for the 201 (the alarm committed): the intake part of the latency.
        "acknowledged_ms": {"p50": round(percentile(acks, 0.5), 2), "p99": round(percentile(acks, 0.99), 2)},
        "duplicates": sum(r["duplicates"] for r in results),
        # Alarm events per WebSocket message the seats read (hello, heartbeats and pings
        # included): above 1, the server carried bursts in one message (batch=1).
        "events_per_message": round(
            sum(r["events"] for r in results) / max(1, sum(r["frames"] for r in results)), 2
        ),
        "sockets_closed": dict(Counter(c for r in results for c in r["closed"])),
        "send_lag_behind_schedule_ms": {
            "p99": round(percentile(lags, 0.99), 2),
            "max": round(lags[-1], 2),
        },
        "cpu_during_send": {
            "window_s": round(window, 2),
            "server_processes_pct": [round(100 * c / window, 1) for c in server_cpu],
            "server_processes_kernel_pct": [round(100 * c / window, 1) for c in server_sys],
            # Time runnable but waiting for a CPU: high means the machine, not the server, is full.
            "server_processes_runqueue_wait_pct": [round(100 * c / window, 1) for c in server_wait],
            "seat_clients_pct": [round(100 * r["cpu_s"] / window, 1) for r in results],
            "reporter_process_pct": round(100 * own / window, 1),
            "postgres_all_databases_pct": round(100 * services_used["postgres"] / window, 1),
            "nats_server_pct": round(100 * services_used["nats-server"] / window, 1),
            "machine_busy_pct": round(100 * (busy_after - busy) / max(1.0, total_after - total), 1),
        },
    }


def started_servers(stack: ExitStack, env: dict[str, str], data: str) -> Iterator[tuple[str, int]]:
    for name in ("a", "b"):
        base, process = stack.enter_context(server({**env, "NETALARM_DATA_DIR": f"{data}/{name}"}))
        yield base, process.pid


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=200.0, help="alarms per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="timed sending time")
    parser.add_argument("--warmup", type=float, default=2.0, help="untimed sending time before")
    parser.add_argument("--seats", type=int, default=200, help="seat WebSockets, half per server")
    parser.add_argument("--clients", type=int, default=2, help="load-generator processes for the seats")
    parser.add_argument("--grace", type=float, default=15.0, help="seconds to wait for late events")
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    parser.add_argument("--bus", choices=["nats", "postgresql"], default="nats")
    args = parser.parse_args()
    with ExitStack() as resources:
        _name, url = resources.enter_context(pg_database())
        data = resources.enter_context(tempfile.TemporaryDirectory())
        bus = (
            resources.enter_context(nats_stream(args.nats))
            if args.bus == "nats"
            else url.replace("postgresql+asyncpg://", "postgresql://")
        )
        env = {
            "NETALARM_DATABASE_URL": url,
            "NETALARM_CENTRE": "440300",
            "NETALARM_SECRET_KEY": secrets.token_urlsafe(32),
            "NETALARM_BUS_URL": bus,
            **{f"NETALARM_SLA_P{p}_S": "3600" for p in range(1, 5)},
        }
        netalarm(["demo"], {**env, "NETALARM_DATA_DIR": f"{data}/seed"})
        with ExitStack() as stack:
            figures = measure(list(started_servers(stack, env, data)), args)
    settings = {
        "server_processes": 2,
        "workers_per_process": 1,
        "bus": args.bus,
        "database": "postgresql",
        "seats": args.seats,
        "seat_logins": list(SEATS),
        "seat_client_processes": args.clients,
        "seconds": args.seconds,
        "warmup_s": args.warmup,
        "schedule": "open loop, alternating servers",
        "websocket_compression": "none",
        "seat_socket": "batch=1 (a burst is one message, as the console asks)",
        "sla_limits_s": 3600,
    }
    report(f"notify-{args.bus}" if args.bus != "nats" else "notify", settings, figures)


if __name__ == "__main__":
    main()
