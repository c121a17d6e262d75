"""Groups the intake requests that arrive together in this process into one transaction.

While one batch commits, new requests queue; the next batch takes them all (up to
`max_batch`). Each request is answered only after the commit of its batch — a 2xx still
means committed — and a busy server pays one commit, one counter upsert and one insert per
table for many alarms instead of for each. (Two batches at once per process were measured:
smaller batches cost more CPU per alarm, and the CPU is what runs out.)

Round trips are what a batch costs at low rates, so a batch first assumes its keys are new
(no lookup, no savepoint); only if one was stored before (a client's retry) is it stored
again, carefully. On PostgreSQL the case numbers are reserved in a transaction of their
own (`CaseNumberReserver`), so the batches of several processes do not queue behind each
other's counter rows; what is left of the first try is one INSERT statement for the whole
batch, atomic on its own, so it runs without BEGIN and COMMIT (two round trips less)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.core import tasks
from netalarm.core.db import transaction
from netalarm.core.errors import DomainError
from netalarm.incidents.case_numbers import CaseNumberReserver
from netalarm.intake import service as intake_service
from netalarm.intake.service import Submission, Submitted
from netalarm.routing import service as routing_service
from netalarm.routing.models import Centre

log = logging.getLogger(__name__)

Waiting = list[tuple[Submission, asyncio.Future[Submitted]]]


class IntakeBatcher:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        centre: str,
        timezone: str,
        max_batch: int = 256,
    ) -> None:
        self._sessions = sessions
        bind = sessions.kw.get("bind")
        # SQLite: a second transaction would wait for the batch's own, so numbers are taken in it.
        self._reserver = (
            CaseNumberReserver(bind.url.render_as_string(hide_password=False), timezone)
            if bind is not None and bind.dialect.name == "postgresql"
            else None
        )
        self._centre = centre or None
        self._timezone = timezone
        self._max_batch = max_batch
        self._pending: Waiting = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._root: Centre | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="intake-batcher")

    async def stop(self) -> None:
        await tasks.cancel(self._task)
        for _, waiter in self._pending:
            if not waiter.done():
                waiter.set_exception(RuntimeError("server stopping; the alarm was not stored"))
        if self._reserver is not None:
            await self._reserver.close()

    async def submit(self, submission: Submission) -> Submitted:
        """Store the alarm with the next batch; returns once that batch is committed."""
        waiter: asyncio.Future[Submitted] = asyncio.get_running_loop().create_future()
        self._pending.append((submission, waiter))
        self._wake.set()
        return await waiter

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
                await self._flush(batch)

    async def _store(self, batch: Waiting, *, assume_new: bool) -> list[Submitted | DomainError]:
        async with transaction(self._sessions) as session:
            if assume_new and self._reserver is not None:
                # The batch's one write is its own transaction (and as durable as any commit);
                # the connection is transactional again when it goes back to the pool.
                await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            if self._root is None:
                # The served centre, loaded once: a round trip less for every batch. Detached,
                # so that a batch that rolls back does not expire it for the batches after.
                self._root = await routing_service.root(session, self._centre)
                session.expunge(self._root)
            return await intake_service.submit_many(
                session,
                [submission for submission, _ in batch],
                root=self._root,
                timezone=self._timezone,
                numbering=self._reserver.reserve if self._reserver else None,
                assume_new=assume_new,
                keep=False,
            )

    async def _flush(self, batch: Waiting) -> None:
        results: list[Submitted | DomainError] | list[Exception]
        try:
            try:
                results = await self._store(batch, assume_new=True)
            except IntegrityError:  # a key of the batch was stored before: nothing went in
                results = await self._store(batch, assume_new=False)
        except Exception as exc:  # nothing of the batch committed: every request gets the error
            log.exception("intake batch of %d failed", len(batch))
            results = [exc] * len(batch)
        for (_, waiter), result in zip(batch, results, strict=True):
            if waiter.done():  # the client went away; its alarm is stored all the same
                continue
            if isinstance(result, BaseException):
                waiter.set_exception(result)
            else:
                waiter.set_result(result)
