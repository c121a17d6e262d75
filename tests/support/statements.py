"""Counting the SQL statements a piece of code runs: how tests hold a listing to a fixed number
of queries however many rows it has."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession


@contextmanager
def recorded(session: AsyncSession) -> Iterator[list[str]]:
    """The statements run on the session's engine while the block runs, appended as they are
    (clear the list to count again)."""
    engine = session.bind
    assert isinstance(engine, AsyncEngine)
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", note)
