"""Throwaway databases: a fresh PostgreSQL database per test run, SQLite files in tmp folders."""

from __future__ import annotations

import asyncio
import os
import secrets
from concurrent.futures import ThreadPoolExecutor

import asyncpg

PG_HOST = os.environ.get("NETALARM_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("NETALARM_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("NETALARM_TEST_PG_USER", "postgres")


def _run_admin(sql: str) -> None:
    """Run an admin statement on its own thread's event loop: fixtures that call this may
    themselves be set up while the test session's loop is running."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _admin(sql)).result()


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres", timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_pg_database(prefix: str = "netalarm_test") -> tuple[str, str]:
    """Create an empty database; returns (name, SQLAlchemy async URL). Raises if PostgreSQL
    is unreachable: the suite must fail loudly rather than skip."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    _run_admin(f'CREATE DATABASE "{name}"')
    return name, f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def drop_pg_database(name: str) -> None:
    _run_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
