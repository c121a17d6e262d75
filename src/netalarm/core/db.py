"""Database engine, sessions and column types shared by every domain.

SQLite (the embedded default) runs in WAL mode with `BEGIN IMMEDIATE` transactions, so
concurrent writers queue on the busy timeout instead of failing, and `synchronous=FULL`,
so an acknowledged alarm survives a power cut. PostgreSQL needs nothing special.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import orjson
from sqlalchemy import JSON, DateTime, MetaData, Table, event, insert, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, make_transient_to_detached
from sqlalchemy.orm.instrumentation import manager_of_class
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


M = TypeVar("M", bound=Base)
T = TypeVar("T")


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
async def cancellable(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session for work that may be cancelled at an await between its statements: the
    session is closed (its transaction rolled back) even then, in a task of its own. A
    cancellation in the middle of a statement is not covered: use `shielded` for that."""
    session = sessions()
    try:
        yield session
    finally:
        await asyncio.shield(session.close())


async def shielded(
    sessions: async_sessionmaker[AsyncSession], work: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    """`work(session)` in one transaction of its own (committed when it returns), run in a task
    that cancelling the caller does not interrupt: the caller sees the cancellation at once,
    the work goes on to its end. For database work in a body that may be cancelled at any
    await, such as a response whose client went away. A statement cut in the middle makes
    SQLAlchemy invalidate its connection, and an invalidated aiosqlite connection is never
    closed: its transaction, and with it SQLite's write lock, stayed open, and every later
    transaction of the server waited on it (seen through a server in
    tests/realtime/test_retention.py, about one run in four)."""

    async def run() -> T:
        async with transaction(sessions) as session:
            return await work(session)

    return await asyncio.shield(asyncio.ensure_future(run()))


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits when the block ends normally; otherwise (an exception, a
    cancellation) closing the session rolls it back, as `cancellable` does even when cancelled."""
    async with cancellable(sessions) as session:
        yield session
        await session.commit()


# The tables a multi-table INSERT wrote, as an execution option (`realtime.commits` looks
# for the outbox among them; a textual statement shows it no table).
INSERTED_TABLES = "netalarm_inserted_tables"

Rows = tuple[Table, Sequence[dict[str, Any]]]


def upsert_insert(session: AsyncSession) -> Any:
    """The `insert` of the session's back end (PostgreSQL's or SQLite's), whose statements
    take `on_conflict_do_update` for an atomic upsert on either."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def table(model: type[Base]) -> Table:
    """A mapped class's table, typed as one."""
    return cast(Table, model.__table__)


def _default(column: Any) -> Any:
    """The value a column's Python-side default gives (None when it has none)."""
    default = column.default
    if isinstance(default, ScalarElementColumnDefault):
        return default.arg
    if isinstance(default, CallableColumnDefault):
        # SQLAlchemy wraps our zero-argument defaults (uuid7, utcnow, list) to take a context
        # they ignore.
        return default.arg(None)  # type: ignore[arg-type]
    return None


def new_row(model: type[Base], **values: Any) -> dict[str, Any]:
    """A new row of `model`'s table: `values` (by column key), and every other column's
    default (None when it has none) — the row `insert_tables` writes and `as_loaded` reads."""
    row = dict(values)
    for key, column in _columns(model):
        if key not in row:
            row[key] = _default(column)
    return row


@functools.cache
def _columns(model: type[Base]) -> tuple[tuple[str, Any], ...]:
    mapper = inspect(model)
    pairs = tuple((attr.key, attr.columns[0]) for attr in mapper.column_attrs)
    # Rows and objects share their keys only where attributes are named as their columns.
    assert all(key == column.key for key, column in pairs), f"{model.__name__}: attribute keys differ"
    return pairs


def as_loaded(model: type[M], rows: Sequence[dict[str, Any]]) -> list[M]:
    """Objects of `model` for rows that were just written (each naming every column, as
    `new_row` makes them), built the way SQLAlchemy builds the objects of rows it reads: a
    twentieth of the cost of constructing them, which at intake's rates was a tenth of the
    server's CPU. They are in no session; `attach` makes them persistent."""
    manager = manager_of_class(model)
    made: list[M] = []
    for row in rows:
        obj = manager.new_instance()
        obj.__dict__.update(row)
        made.append(obj)
    return made


def attach(session: AsyncSession, objects: Sequence[Base]) -> None:
    """Make objects of inserted rows (`as_loaded`) persistent in the session, as after `add`
    and `flush`."""
    for obj in objects:
        make_transient_to_detached(obj)
        session.add(obj)


async def insert_tables(session: AsyncSession, groups: Sequence[Rows]) -> None:
    """INSERT rows given as column values (the same keys in each row of a table) into
    several tables, parents before children; unset columns take their defaults.

    On PostgreSQL it is one statement, whatever the number of rows and tables: one
    data-modifying CTE per table, each reading an array per column through `unnest`.
    (Foreign keys are checked at the end of the statement, so children may point at
    parents inserted beside them.) One round trip and one fixed, prepared statement,
    instead of one per table. Elsewhere it is one multi-row statement per table."""
    groups = [(table, rows) for table, rows in groups if rows]
    if not groups:
        return
    if session.get_bind().dialect.name != "postgresql":
        for table, rows in groups:
            await session.execute(insert(table), rows)
        return
    shape = tuple((table, tuple(rows[0])) for table, rows in groups)
    statement, plans = _unnest_insert(shape)
    params: dict[str, Any] = {}
    for (_, rows), plan in zip(groups, plans, strict=True):
        for name, key, default, is_json in plan:
            values = [row[key] for row in rows] if default is None else [_default(default) for _ in rows]
            params[name] = [None if v is None else _json_text(v) for v in values] if is_json else values
    await session.execute(statement, params)


# One column of a multi-table INSERT: (bind name, row key, column whose default fills it, JSON?)
_Column = tuple[str, str, Any, bool]


@functools.cache
def _unnest_insert(shape: tuple[tuple[Table, tuple[str, ...]], ...]) -> tuple[Any, list[list[_Column]]]:
    """The PostgreSQL statement of `insert_tables` for tables with these row keys, built
    once per shape (building and parsing it was a measurable share of a small batch)."""
    dialect = postgresql.dialect()
    parts: list[str] = []
    plans: list[list[_Column]] = []
    for number, (table, keys) in enumerate(shape):
        # Columns left out but with a Python-side default get it, as SQLAlchemy's INSERT would.
        missing = [c for c in table.columns if c.key not in keys and c.default is not None]
        columns = [table.c[key] for key in keys] + missing
        arrays, picks, plan = [], [], []
        for index, column in enumerate(columns):
            name = f"t{number}c{index}"
            is_json = isinstance(column.type, JSON)
            if is_json:
                # Arrays of JSON text, each cast on its own: the element codec stays out of it.
                arrays.append(f"CAST(:{name} AS TEXT[])")
                picks.append(f"CAST(u.c{index} AS JSONB)")
            else:
                arrays.append(f"CAST(:{name} AS {column.type.compile(dialect=dialect)}[])")
                picks.append(f"u.c{index}")
            plan.append((name, column.key, None if index < len(keys) else column, is_json))
        names = ", ".join(f'"{c.name}"' for c in columns)
        aliases = ", ".join(f"c{i}" for i in range(len(columns)))
        parts.append(
            f'INSERT INTO "{table.name}" ({names}) SELECT {", ".join(picks)} '
            f"FROM unnest({', '.join(arrays)}) AS u({aliases})"
        )
        plans.append(plan)
    *ctes, last = parts
    sql = last
    if ctes:
        sql = "WITH " + ", ".join(f"w{n} AS ({part})" for n, part in enumerate(ctes)) + " " + last
    inserted = frozenset(table.name for table, _ in shape)
    return text(sql).execution_options(**{INSERTED_TABLES: inserted}), plans
