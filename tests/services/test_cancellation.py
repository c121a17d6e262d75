"""A session cancelled mid-transaction still ends its transaction: a response body is
cancelled once its client goes away, and on SQLite an open transaction holds the write lock
that every other request of the server waits for. Between statements `cancellable` and
`transaction` see to it; in the middle of one only `shielded` does (there SQLAlchemy gives
the connection up without closing it, and the lock stayed held for good). The stall was seen
through a server, in tests/realtime/test_retention.py; this states the contract directly."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import anyio
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.core.db import cancellable, make_engine, make_sessionmaker, shielded, transaction

Opener = Callable[[async_sessionmaker[AsyncSession]], AbstractAsyncContextManager[AsyncSession]]


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[tuple[Path, async_sessionmaker[AsyncSession]]]:
    path = tmp_path / "cancel.sqlite3"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    yield path, make_sessionmaker(engine)
    await engine.dispose()


def _write_lock_free(path: Path) -> bool:
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:  # "database is locked"
        return False
    finally:
        connection.close()


@pytest.mark.parametrize("opener", [cancellable, transaction], ids=["cancellable", "transaction"])
async def test_a_session_cancelled_inside_its_transaction_gives_the_write_lock_back(
    database: tuple[Path, async_sessionmaker[AsyncSession]], opener: Opener
) -> None:
    path, sessions = database
    inside = anyio.Event()

    async def hold() -> None:
        async with opener(sessions) as session:
            await session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the write lock is ours
            inside.set()
            await anyio.sleep(60)

    async with anyio.create_task_group() as group:
        group.start_soon(hold)
        await inside.wait()
        assert not _write_lock_free(path)
        group.cancel_scope.cancel()  # as a server cancels the body of a response
    for _ in range(50):
        if _write_lock_free(path):
            break
        await asyncio.sleep(0.05)
    assert _write_lock_free(path)


# A statement that keeps SQLite busy for a while, so a cancellation lands in the middle of it.
SLOW = text(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) SELECT count(*) FROM n"
)


async def test_work_cancelled_in_the_middle_of_a_statement_gives_the_write_lock_back(
    database: tuple[Path, async_sessionmaker[AsyncSession]],
) -> None:
    path, sessions = database
    started = anyio.Event()

    async def count(session: AsyncSession) -> int:
        started.set()
        return int((await session.execute(SLOW)).scalar_one())

    async with anyio.create_task_group() as group:
        group.start_soon(shielded, sessions, count)
        await started.wait()
        await anyio.sleep(0.05)  # inside the statement
        group.cancel_scope.cancel()
    for _ in range(200):
        if _write_lock_free(path):
            break
        await asyncio.sleep(0.05)
    assert _write_lock_free(path)
