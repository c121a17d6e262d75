"""A process killed right after a commit and before publishing loses nothing: the other
process publishes the rows, or the same process once restarted; clients see each event once."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from netalarm.core.db import make_engine
from netalarm.core.outbox import OutboxEvent
from netalarm.realtime.runtime import FAULT_EXIT_STATUS
from tests.realtime.conftest import delete_stream, start_pair
from tests.support.http import FUTIAN
from tests.support.push import Push, of
from tests.support.servers import Server, netalarm

FAULT = "NETALARM_FAULT_EXIT_AFTER_COMMIT"


def _alarm_body(key: str) -> dict[str, Any]:
    location = {"lat": FUTIAN[0], "lon": FUTIAN[1], "accuracy_m": 10, "source": "gps"}
    return {"idempotency_key": key, "description": key, "location": location}


def _submit_into_the_crash(server: Server, body: dict[str, Any]) -> None:
    """The server commits the alarm and dies before it can answer or publish."""
    with pytest.raises(httpx.TransportError):
        httpx.post(f"{server.url}/api/v1/alarms", json=body, timeout=10)
    assert server.process is not None
    assert server.process.wait(timeout=10) == FAULT_EXIT_STATUS


async def test_the_other_process_publishes_what_a_killed_one_committed(
    nats_server: str, fresh_database: str, tmp_path: Path
) -> None:
    stream = f"test_{secrets.token_hex(4)}"
    pair = start_pair(tmp_path, fresh_database, f"{nats_server}/{stream}", a_env={FAULT: "1"})
    seat = await Push.seat(pair.b.url, "futian.net")
    try:
        key = f"fault-{secrets.token_hex(6)}"
        _submit_into_the_crash(pair.a, _alarm_body(key))
        event = await seat.expect(of("alarm_received", description=key), within=5)
        # The reporter's retry reaches the restarted process: the same alarm, nothing new.
        pair.a.env.pop(FAULT)
        pair.a.start()
        async with httpx.AsyncClient(timeout=10) as http:
            retry = await http.post(f"{pair.a.url}/api/v1/alarms", json=_alarm_body(key))
        assert retry.status_code == 200, retry.text
        assert retry.json()["id"] == event["data"]["alarm_id"]
        await seat.settle(1.0)
        assert seat.count(of("alarm_received", description=key)) == 1
    finally:
        await seat.close()
        pair.stop()
        await delete_stream(nats_server, stream)


async def test_a_restarted_process_publishes_what_it_committed_before_dying(
    fresh_database: str, tmp_path: Path
) -> None:
    env = {
        "NETALARM_DATABASE_URL": fresh_database,
        "NETALARM_CENTRE": "440300",
        "NETALARM_DATA_DIR": str(tmp_path),
        "NETALARM_BUS_URL": fresh_database.replace("postgresql+asyncpg://", "postgresql://"),
    }
    assert netalarm(["demo"], env).returncode == 0
    server = Server({**env, FAULT: "1"}, log=tmp_path / "server.log").start()
    key = f"fault-{secrets.token_hex(6)}"
    _submit_into_the_crash(server, _alarm_body(key))
    engine = make_engine(fresh_database)
    query = select(OutboxEvent).where(OutboxEvent.type == "alarm_received")
    try:
        async with engine.connect() as conn:
            (row,) = (await conn.execute(query)).all()
            assert row.data["description"] == key and row.published_seq is None
        server.env.pop(FAULT)
        server.start()
        try:
            # The restarted relay publishes at start-up, alongside the first requests.
            deadline = asyncio.get_running_loop().time() + 10
            while True:
                async with engine.connect() as conn:
                    (row,) = (await conn.execute(query)).all()
                if row.published_seq is not None or asyncio.get_running_loop().time() > deadline:
                    break
                await asyncio.sleep(0.1)
            assert row.published_seq is not None and row.published_at is not None
        finally:
            server.stop()
    finally:
        await engine.dispose()
