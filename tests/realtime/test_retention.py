"""Published events are kept `NETALARM_OUTBOX_KEEP_S` for clients resuming after a drop, then
deleted, oldest first, never the newest; a client resuming from a deleted one is refused as
unknown (and starts afresh), and an event not yet published is never touched."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.core import outbox
from netalarm.core.clock import utcnow
from netalarm.core.db import transaction
from netalarm.core.errors import Invalid
from netalarm.core.outbox import OutboxEvent
from netalarm.realtime import retention, stream
from tests.support.http import FUTIAN, raise_alarm, seat_headers
from tests.support.push import Push, of
from tests.support.servers import demo_with

NOW = utcnow()


async def _events(
    sessions: async_sessionmaker[AsyncSession], *published: datetime | None
) -> list[OutboxEvent]:
    """One event per time given, published then in that order (None: not yet published)."""
    rows = []
    async with transaction(sessions) as session:
        for number, at in enumerate(published, start=1):
            row = OutboxEvent(**outbox.event_row("note", data={"n": number}))
            if at is not None:
                row.published_at, row.published_seq = at, number
            session.add(row)
            rows.append(row)
    return rows


async def _left(sessions: async_sessionmaker[AsyncSession]) -> list[int]:
    async with sessions() as session:
        return [r.data["n"] for r in await session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))]


async def test_events_published_before_the_cut_go_oldest_first_and_the_newest_always_stays(
    own_database: async_sessionmaker[AsyncSession],
) -> None:
    day = timedelta(days=1)
    await _events(own_database, NOW - 3 * day, NOW - 2 * day, NOW - 2 * day, NOW - day / 24, None)
    async with transaction(own_database) as session:
        assert await outbox.prune(session, NOW - day, batch=1) == 1  # the oldest first
    assert await _left(own_database) == [2, 3, 4, 5]
    async with transaction(own_database) as session:
        assert await outbox.prune(session, NOW - day) == 2
    assert await _left(own_database) == [4, 5]
    async with transaction(own_database) as session:
        # Everything published is older than this cut, yet the newest stays: numbers go on from it.
        assert await outbox.prune(session, NOW + day) == 0
    assert await _left(own_database) == [4, 5]


async def test_a_cursor_on_a_deleted_event_is_refused_as_unknown_and_one_kept_still_resumes(
    own_database: async_sessionmaker[AsyncSession],
) -> None:
    old, kept, _ = await _events(own_database, NOW - timedelta(days=9), NOW - timedelta(hours=1), NOW)
    assert await retention.prune_all(own_database, keep_s=timedelta(days=7).total_seconds()) == 1
    with pytest.raises(Invalid) as refused:
        await stream.position(own_database, str(old.id))
    assert refused.value.code == "unknown_cursor" and refused.value.field == "after"
    assert await stream.position(own_database, str(kept.id)) == kept.published_seq


def _resume(base: str, after: str, headers: dict[str, str]) -> tuple[int, Any]:
    """The status of a seat event stream resumed `after` an event, and the refusal's body;
    a stream that opens is closed at once."""
    with httpx.stream(
        "GET", f"{base}/api/v1/seat/events", params={"after": after}, headers=headers, timeout=10
    ) as answer:
        if answer.status_code == 200:
            return 200, None
        answer.read()
        return answer.status_code, answer.json()


async def test_a_server_deletes_events_older_than_it_keeps_and_refuses_to_resume_from_them(
    tmp_path: Path,
) -> None:
    with demo_with(tmp_path, NETALARM_OUTBOX_KEEP_S="1") as server:
        base = server.url
        seat = await Push.seat(base, "futian.net")
        first = raise_alarm(base, FUTIAN, description="first")
        seen = await seat.expect(of("alarm_received", first["incident_id"]))
        await seat.close()
        headers = seat_headers(base, "futian.net")
        assert _resume(base, seen["id"], headers)[0] == 200  # fresh, it resumes
        raise_alarm(base, FUTIAN, description="second")  # now the first is not the newest
        for _ in range(60):  # the server prunes every quarter of a second
            refused = _resume(base, seen["id"], headers)
            if refused[0] != 200:
                break
            await asyncio.sleep(0.25)
    assert refused[0] == 422, refused
    assert refused[1]["error"]["code"] == "unknown_cursor"
