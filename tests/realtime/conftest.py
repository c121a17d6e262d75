"""Realtime fixtures: a NATS JetStream server, and pairs of real `netalarm serve` processes
sharing one PostgreSQL database and a bus."""

from __future__ import annotations

import asyncio
import secrets
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest

from tests.support.databases import create_pg_database, drop_pg_database
from tests.support.servers import Server, free_port, netalarm

NATS_PORT = 4222


def _answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`nats://127.0.0.1:<port>` of a JetStream server: the machine's on 4222 when it answers,
    else a `nats-server -js` started here (Debian's package, see system-packages.txt)."""
    if _answers(NATS_PORT):
        yield f"nats://127.0.0.1:{NATS_PORT}"
        return
    port = free_port()
    store = tmp_path_factory.mktemp("nats")
    process = subprocess.Popen(
        ["nats-server", "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not _answers(port):
        assert process.poll() is None and time.monotonic() < deadline, "nats-server did not start"
        time.sleep(0.05)
    yield f"nats://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


async def delete_stream(server: str, name: str) -> None:
    nc = await nats.connect(server)
    try:
        await nc.jetstream().delete_stream(name)
    except nats.js.errors.NotFoundError:
        pass
    finally:
        await nc.close()


@pytest.fixture
async def nats_bus(nats_server: str) -> AsyncIterator[str]:
    """A bus URL on a stream of its own, deleted afterwards."""
    name = f"test_{secrets.token_hex(4)}"
    yield f"{nats_server}/{name}"
    await delete_stream(nats_server, name)


@dataclass
class Pair:
    """Two server processes, `a` and `b`, on one database and one bus."""

    a: Server
    b: Server
    database_url: str
    env: dict[str, str]

    def stop(self) -> None:
        self.a.stop()
        self.b.stop()


def start_pair(
    data: Path, database_url: str, bus_url: str, *, a_env: dict[str, str] | None = None, **settings: str
) -> Pair:
    """Seed the demo, then start two servers with the same secret key and bus."""
    env = {
        "NETALARM_DATABASE_URL": database_url,
        "NETALARM_CENTRE": "440300",
        "NETALARM_SECRET_KEY": secrets.token_urlsafe(32),
        "NETALARM_BUS_URL": bus_url,
        "NETALARM_RELAY_POLL_S": "0.2",
        **settings,
    }
    seeded = netalarm(["demo"], {**env, "NETALARM_DATA_DIR": str(data / "seed")})
    assert seeded.returncode == 0, seeded.stderr
    a = Server({**env, "NETALARM_DATA_DIR": str(data / "a"), **(a_env or {})}, log=data / "a.log")
    b = Server({**env, "NETALARM_DATA_DIR": str(data / "b")}, log=data / "b.log")
    pair = Pair(a, b, database_url, env)
    with ThreadPoolExecutor(max_workers=2) as pool:  # both start at once: half the wait
        started = [pool.submit(server.start) for server in (a, b)]
    try:
        for future in started:
            future.result()
    except RuntimeError:
        pair.stop()
        raise
    return pair


def bus_url_for(kind: str, database_url: str, nats_server: str, stream: str) -> str:
    if kind == "nats":
        return f"{nats_server}/{stream}"
    return database_url.replace("postgresql+asyncpg://", "postgresql://")


# The pairs' P1 incidents must be accepted within this (the other priorities keep their
# defaults, so tests that raise ordinary alarms see no SLA events).
PAIR_SLA_P1_S = 1.0


@pytest.fixture(scope="package", params=["nats", "postgresql"])
def pair(
    request: pytest.FixtureRequest, nats_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    """Two processes on a fresh PostgreSQL database, once with each distributed bus; shared
    by the realtime tests (each makes its own alarms) and stopped when they are done, so
    their database connections are not held through the rest of the run."""
    name, url = create_pg_database("netalarm_rt")
    stream = f"test_{secrets.token_hex(4)}"
    data = tmp_path_factory.mktemp(f"pair-{request.param}")
    try:
        started = start_pair(
            data,
            url,
            bus_url_for(request.param, url, nats_server, stream),
            NETALARM_SLA_P1_S=str(PAIR_SLA_P1_S),
            NETALARM_SLA_TICK_S="0.25",
        )
        yield started
        started.stop()
    finally:
        drop_pg_database(name)
        with ThreadPoolExecutor(max_workers=1) as pool:  # off the test loop, which may be running
            pool.submit(asyncio.run, delete_stream(nats_server, stream)).result()
