"""Channel fixtures: a database of the test's own (the worker sends whatever is due in its
database, so it must see only this test's rows) and a real SMS gateway on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.core import migrate
from netalarm.core.db import make_engine, make_sessionmaker
from tests.support.databases import create_pg_database, drop_pg_database
from tests.support.sms_gateway import Gateway, running_gateway


@pytest.fixture(params=["sqlite", "postgresql"])
async def own_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated database no other test writes to, once on SQLite and once on PostgreSQL."""
    name = None
    url = f"sqlite+aiosqlite:///{tmp_path / 'own.sqlite3'}"
    if request.param == "postgresql":
        name, url = create_pg_database("netalarm_sms")
    engine = make_engine(url)
    try:
        await migrate.upgrade(engine)
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()
        if name:
            drop_pg_database(name)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    with running_gateway() as running:
        yield running
