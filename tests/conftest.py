"""Shared fixtures: real databases (SQLite and PostgreSQL) and real server processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from netalarm.accounts import service as accounts_service
from netalarm.core import migrate
from netalarm.core.db import make_engine, make_sessionmaker
from tests.support.databases import create_pg_database, drop_pg_database
from tests.support.servers import Server, demo_with, netalarm


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Seats made inside the test process (the factories make four per centre tree) hash their
    passwords with argon2's cheapest parameters: the default costs about 0.1 s a seat, and
    hundreds of trees are made. Verifying reads the parameters from each hash, so signing in
    works the same; servers started as processes keep the real cost."""
    saved = accounts_service._hasher
    accounts_service._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    yield
    accounts_service._hasher = saved


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running on the main
    thread for the rest of the session, and async tests cannot start their own after it."""
    items.sort(key=lambda item: "/e2e/" in str(item.path))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """One throwaway PostgreSQL database for the whole run, dropped at the end."""
    name, url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(name)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'netalarm.sqlite3'}"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each service test runs once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture(scope="session")
async def engines() -> AsyncIterator[dict[str, AsyncEngine]]:
    made: dict[str, AsyncEngine] = {}
    yield made
    for engine in made.values():
        await engine.dispose()


@pytest.fixture
async def sessions(db_url: str, engines: dict[str, AsyncEngine]) -> async_sessionmaker[AsyncSession]:
    """A sessionmaker on a migrated database of the current back end."""
    if db_url not in engines:
        engine = make_engine(db_url)
        await migrate.upgrade(engine)
        engines[db_url] = engine
    return make_sessionmaker(engines[db_url])


@pytest.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessions() as s:
        yield s
        await s.rollback()


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server on the embedded defaults (SQLite, in-process bus) seeded with the demo."""
    with demo_with(tmp_path_factory.mktemp("server")) as server:
        yield server


@pytest.fixture(scope="session")
def pg_demo_server(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server on the run's PostgreSQL database, seeded with the demo."""
    data = tmp_path_factory.mktemp("pgserver")
    env = {"NETALARM_DATA_DIR": str(data), "NETALARM_DATABASE_URL": pg_url, "NETALARM_CENTRE": "440300"}
    seeded = netalarm(["demo"], env)
    assert seeded.returncode == 0, seeded.stderr
    server = Server(env, log=Path(data) / "server.log").start()
    yield server
    server.stop()


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """A PostgreSQL database of its own (for tests that kill processes or sweep everything)."""
    name, url = create_pg_database("netalarm_own")
    yield url
    drop_pg_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
async def own_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated database no other test writes to (SQLite, then PostgreSQL), so a sweep, a
    relay or a worker there sees only this test's rows (the shared ones also hold the rows of
    running servers, whose own sweepers and workers act on them)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'own.sqlite3'}"
    if request.param == "postgresql":
        url = request.getfixturevalue("fresh_database")
    engine = make_engine(url)
    await migrate.upgrade(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()
