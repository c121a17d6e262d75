"""Database engine, sessions and column types shared by every domain.

SQLite (the embedded default) runs in WAL mode with `BEGIN IMMEDIATE` transactions, so
concurrent writers queue on the busy timeout instead of failing, and `synchronous=FULL`,
so an acknowledged alarm survives a power cut. PostgreSQL needs nothing special.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from sqlalchemy import JSON, DateTime, MetaData, Table, event, insert, inspect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.schema import CallableColumnDefault, ScalarElementColumnDefault
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every back end (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for `url`, with the SQLite tuning described in the module docstring.
    JSON columns go through orjson (several times faster than the standard library)."""
    kwargs.setdefault("json_serializer", _json_text)
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            for pragma in (
                "journal_mode=WAL",
                "synchronous=FULL",
                "foreign_keys=ON",
                "busy_timeout=30000",
            ):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    return create_async_engine(url, **kwargs)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits when the block ends normally, rolls back on an exception."""
    async with sessions() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def insert_all(session: AsyncSession, objects: Sequence[Base]) -> None:
    """INSERT new mapped objects with one multi-row statement per table, tables in the
    order they first appear (parents before children), without the unit of work: a
    fraction of its cost for the thousands of rows of an intake batch.

    Attributes left unset take their column defaults (set on the object too). Afterwards
    each object is persistent in the session, as after `add` and `flush` — except one
    whose key the database assigns (an autoincrement column), which stays transient."""
    groups: dict[Any, list[dict[str, Any]]] = {}
    for obj in objects:
        mapper = inspect(type(obj))
        table = mapper.local_table
        values: dict[str, Any] = {}
        for attr in mapper.column_attrs:
            column = attr.columns[0]
            if attr.key in obj.__dict__:
                values[column.key] = obj.__dict__[attr.key]
            elif column is table.autoincrement_column:  # type: ignore[attr-defined]
                continue
            else:
                default = column.default
                value = None
                if isinstance(default, ScalarElementColumnDefault):
                    value = default.arg
                elif isinstance(default, CallableColumnDefault):
                    # SQLAlchemy wraps our zero-argument defaults (uuid7, utcnow, list) to take a
                    # context they ignore.
                    value = default.arg(None)  # type: ignore[arg-type]
                set_committed_value(obj, attr.key, value)
                values[column.key] = value
        groups.setdefault(table, []).append(values)
    for table, rows in groups.items():
        await session.execute(insert(table), rows)
    for obj in objects:
        if None not in inspect(type(obj)).primary_key_from_instance(obj):
            make_transient_to_detached(obj)
            session.add(obj)


async def insert_rows(session: AsyncSession, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT rows given as column values (the same keys in each) into `model`'s table with
    one multi-row statement; no objects are made. Unset columns take their defaults."""
    if rows:
        await session.execute(insert(cast(Table, model.__table__)), rows)
