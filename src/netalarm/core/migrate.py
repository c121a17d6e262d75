"""Alembic migrations, run on start-up and by `netalarm db upgrade`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Any constant works; it only has to be the same in every process of the deployment.
_LOCK_ID = 0x6E6574616C61726D


def _config(connection: Any = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def heads() -> set[str]:
    """The newest revisions. Domains may add migrations side by side (several heads)."""
    return set(ScriptDirectory.from_config(_config()).get_heads())


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision. Several processes starting at once on
    PostgreSQL take turns through an advisory lock; SQLite's write lock does the same."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        await conn.run_sync(lambda sync_conn: command.upgrade(_config(sync_conn), "heads"))


async def current(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_heads()))
