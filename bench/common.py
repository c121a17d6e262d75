"""What every benchmark shares: a throwaway PostgreSQL database and NATS stream, server
processes, RSS readings, and the JSON result written to bench/results/<name>.json."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import nats
from nats.js.errors import NotFoundError

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}

# A benchmark stopped with SIGTERM unwinds like one stopped with Ctrl-C: its servers (in
# sessions of their own, so the signal does not reach them) are stopped and its database
# dropped by the context managers below.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def psql(sql: str, database: str = "postgres") -> str:
    done = subprocess.run(
        ["psql", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"], "-d", database, "-tAc", sql],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@contextmanager
def pg_database() -> Iterator[tuple[str, str]]:
    """A fresh database (name, async URL), dropped afterwards."""
    name = f"netalarm_bench_{secrets.token_hex(4)}"
    psql(f'CREATE DATABASE "{name}"')
    try:
        yield name, f"postgresql+asyncpg://{PG['user']}@{PG['host']}:{PG['port']}/{name}"
    finally:
        psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def nats_stream(server_url: str) -> Iterator[str]:
    """A bus URL naming a JetStream stream of its own on `server_url`, deleted afterwards:
    a stream left behind would keep one run's events on the nats-server the next run uses."""
    name = f"bench_{secrets.token_hex(4)}"
    try:
        yield f"{server_url}/{name}"
    finally:
        asyncio.run(_delete_stream(server_url, name))


async def _delete_stream(server_url: str, name: str) -> None:
    nc = await nats.connect(server_url)
    try:
        with contextlib.suppress(NotFoundError):  # no server ever made it
            await nc.jetstream().delete_stream(name)
    finally:
        await nc.close()


def netalarm(args: list[str], env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "netalarm.cli", *args],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )


@contextmanager
def server(
    env: dict[str, str], *, workers: int = 1, port: int | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A `netalarm serve` process (with `workers` worker processes), ready when yielded."""
    port = port or free_port()
    argv = ["-m", "netalarm.cli", "serve", "--port", str(port), "--workers", str(workers)]
    with serving(argv, env, port, "/readyz") as running:
        yield running


@contextmanager
def serving(
    argv: list[str], env: dict[str, str], port: int, ready_path: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`python <argv>` listening on `port`, yielded once `ready_path` answers 200 and
    stopped (with all its workers) afterwards."""
    process = subprocess.Popen(
        [sys.executable, *argv],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}{ready_path}", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{argv} did not start")
            time.sleep(0.2)
        yield url, process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB."""
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        pids.extend(int(c) for c in children)
    return total


def report(name: str, settings: dict[str, Any], figures: dict[str, Any]) -> dict[str, Any]:
    """Print the result as one JSON object and keep it in bench/results/<name>.json."""
    result = {"benchmark": name, "cores": os.cpu_count(), "settings": settings, **figures}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, ensure_ascii=False))
    return result


TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int, *, system_only: bool = False) -> float:
    """User + system (or only system) CPU seconds of a process and all its descendants."""
    total = 0.0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += ((0 if system_only else int(fields[11])) + int(fields[12])) / TICK
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        pids.extend(int(c) for c in children)
    return total


def runqueue_wait_s(pid: int) -> float:
    """Seconds the process's threads have waited, runnable, for a CPU (scheduler statistics)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return total / 1e9


def named_cpu_s(name: str) -> dict[int, float]:
    """CPU seconds of every process whose command name is `name` (machine-wide services)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found[int(entry.name)] = _own_cpu_s(entry)
            except (FileNotFoundError, ProcessLookupError):
                continue
    return found


def _own_cpu_s(entry: Path) -> float:
    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def service_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two readings by the processes alive at the second one."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
