"""The migrations build exactly the schema the models describe, on both back ends: a table or
column added to a model without a migration (or the reverse) fails here, not in production."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from netalarm.models import metadata


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_the_migrated_schema_matches_the_models(own_database: async_sessionmaker[AsyncSession]) -> None:
    engine = own_database.kw["bind"]
    assert isinstance(engine, AsyncEngine)
    async with engine.connect() as connection:
        assert await connection.run_sync(_differences) == []
