"""Noticing commits that queued outbox events, so the relay publishes them at once.

Sessions made by a sessionmaker passed to `watch` call `on_commit` after every commit
that flushed or bulk-inserted at least one outbox row — after the commit, never before, so
nothing is announced that could still roll back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session

from netalarm.core.db import INSERTED_TABLES, table
from netalarm.core.outbox import OutboxEvent

_HOOK = "netalarm.realtime.on_commit"
_PENDING = "netalarm.realtime.pending"


def watch(sessions: async_sessionmaker[AsyncSession], on_commit: Callable[[], None]) -> None:
    sessions.configure(info={_HOOK: on_commit})


@event.listens_for(Session, "before_flush")
def _note_outbox_rows(session: Session, _context: Any, _instances: Any) -> None:
    if _HOOK in session.info and any(isinstance(obj, OutboxEvent) for obj in session.new):
        session.info[_PENDING] = True


@event.listens_for(Session, "do_orm_execute")
def _note_outbox_insert(state: ORMExecuteState) -> None:
    # Bulk inserts (`core.db.insert_tables`) bypass the flush.
    if _HOOK not in state.session.info:
        return
    outbox = table(OutboxEvent)
    direct = state.is_insert and state.statement.table is outbox  # type: ignore[attr-defined]
    if direct or outbox.name in state.execution_options.get(INSERTED_TABLES, ()):
        state.session.info[_PENDING] = True


@event.listens_for(Session, "after_commit")
def _announce(session: Session) -> None:
    # Releasing a savepoint fires this too; only the outermost commit makes rows visible.
    if session.in_nested_transaction():
        return
    if session.info.pop(_PENDING, False):
        session.info[_HOOK]()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)
