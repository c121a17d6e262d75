"""The SMS delivery worker: claims due deliveries, hands them to the transport, records
every attempt, retries what may succeed later, and writes the outcome on the timeline.

Every server process runs one. A delivery is claimed by a conditional update (`… WHERE
status = 'pending' AND next_attempt_at <= now`, or a `sending` row whose lease ran out) in
a transaction of its own, committed before the transport is called; so however many
workers look at once, exactly one sends each attempt, and no database lock is held while
a gateway answers. A worker that dies between sending and recording leaves the lease to
expire and the message is sent again: delivery is at least once, and the transport gets
the delivery's id so a gateway can drop the repeat."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.channels import contact
from netalarm.channels.sms.file import FileTransport
from netalarm.channels.sms.gateway import GatewayTransport
from netalarm.channels.sms.models import SmsAttempt, SmsDelivery, seen_text
from netalarm.channels.sms.transport import Outgoing, SendError, Transport
from netalarm.core import outbox, tasks
from netalarm.core.clock import iso, utcnow
from netalarm.core.db import transaction
from netalarm.core.settings import Settings
from netalarm.incidents import service as incident_service

log = logging.getLogger(__name__)

ACTOR = "system:sms"
# A claim outlives the slowest transport call (the gateway's timeout is 10 s) many times
# over: a live worker never loses its claim, a dead one blocks the message only this long.
LEASE_S = 120.0
MAX_BACKOFF_S = 3600.0
BATCH = 50


def make_transport(settings: Settings) -> Transport:
    """`NETALARM_SMS_URL` empty → the file `<data_dir>/sms/outbox.jsonl`; `http://…` or
    `https://…` → that gateway. Anything else is refused at start-up."""
    url = settings.sms_url
    if not url:
        return FileTransport(Path(settings.data_dir) / "sms" / "outbox.jsonl")
    if url.startswith(("http://", "https://")):
        return GatewayTransport(url)
    raise ValueError(f"NETALARM_SMS_URL must be empty or an http(s):// URL, not {url!r}")


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(SmsDelivery.status == "pending", SmsDelivery.next_attempt_at <= now),
        and_(SmsDelivery.status == "sending", SmsDelivery.claimed_until < now),
    )


@dataclass(frozen=True)
class Claim:
    """A delivery this worker holds for one attempt (number `attempt`)."""

    message: Outgoing
    token: str
    attempt: int


async def due(session: AsyncSession, now: datetime, limit: int = BATCH) -> list[uuid.UUID]:
    """Deliveries that may be claimed at `now`, the longest waiting first."""
    rows = await session.scalars(
        select(SmsDelivery.id).where(_due(now)).order_by(SmsDelivery.next_attempt_at).limit(limit)
    )
    return list(rows)


async def claim(
    session: AsyncSession, delivery_id: uuid.UUID, now: datetime, *, lease_s: float = LEASE_S
) -> Claim | None:
    """Take the delivery for one attempt if it is still due; None if another worker has it
    (or it is done). The caller commits before sending."""
    token = secrets.token_hex(16)
    taken = await session.execute(
        update(SmsDelivery)
        .where(SmsDelivery.id == delivery_id, _due(now))
        .values(
            status="sending",
            claim_token=token,
            claimed_until=now + timedelta(seconds=lease_s),
            attempts=SmsDelivery.attempts + 1,
        )
        .returning(SmsDelivery.to, SmsDelivery.text, SmsDelivery.attempts)
        .execution_options(synchronize_session=False)
    )
    row = taken.first()
    if row is None:
        return None
    return Claim(Outgoing(delivery_id, row.to, row.text), token, row.attempts)


def backoff_s(retry_s: float, attempt: int) -> float:
    """The wait after failed attempt number `attempt`: `retry_s`, doubling, at most an hour."""
    return float(min(retry_s * 2 ** (attempt - 1), MAX_BACKOFF_S))


@dataclass(frozen=True)
class Policy:
    max_attempts: int
    retry_s: float


async def record(
    session: AsyncSession,
    held: Claim,
    error: SendError | None,
    *,
    transport: str,
    duration_ms: float,
    policy: Policy,
    now: datetime,
) -> str | None:
    """Record the attempt and move the delivery on: `sent`, `failed` (a permanent error, or
    the last attempt failed), or back to `pending` after a backoff. The outcome goes on
    the timeline (`sms_delivered`, `sms_failed`); a retry is announced to the consoles as
    an `sms_retry` event. A delivery that ends keeps only the text anyone may see
    (`seen_text`): a secret in it (a verification code) is gone once it cannot be sent.
    Returns the new status, or None if the claim was lost (its lease ran out and another
    worker took over: only the attempt is recorded)."""
    outcome = "sent" if error is None else ("retryable" if error.retryable else "permanent")
    message = None if error is None else (str(error) or type(error).__name__)[:1000]
    session.add(
        SmsAttempt(
            delivery_id=held.message.id,
            number=held.attempt,
            transport=transport,
            outcome=outcome,
            error=message,
            duration_ms=duration_ms,
            at=now,
        )
    )
    delivery = await session.get(SmsDelivery, held.message.id)
    if delivery is None:
        return None
    # The incident lock orders the outcome with every other entry of its timeline.
    incident = await incident_service.lock(session, delivery.incident_id)
    values: dict[str, Any]
    if error is None:
        status, values = "sent", {"sent_at": now, "last_error": None, "text": seen_text()}
    elif not error.retryable or held.attempt >= policy.max_attempts:
        status, values = "failed", {"failed_at": now, "last_error": message, "text": seen_text()}
    else:
        retry_at = now + timedelta(seconds=backoff_s(policy.retry_s, held.attempt))
        status, values = "pending", {"next_attempt_at": retry_at, "last_error": message}
    moved = await session.execute(
        update(SmsDelivery)
        .where(
            SmsDelivery.id == delivery.id,
            SmsDelivery.status == "sending",
            SmsDelivery.claim_token == held.token,
        )
        .values(status=status, claim_token=None, claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        await session.flush()
        return None
    data = {"delivery_id": str(delivery.id), "to": contact.mask(delivery.to), "attempts": held.attempt}
    if status == "sent":
        await incident_service.record(session, incident, actor=ACTOR, type="sms_delivered", data=data)
    elif status == "failed":
        data["error"] = message
        await incident_service.record(session, incident, actor=ACTOR, type="sms_failed", data=data)
    else:
        data.update(error=message, next_attempt_at=iso(retry_at))
        await outbox.emit(
            session, "sms_retry", data=data, incident_id=incident.id, centre_id=incident.centre_id
        )
    await session.flush()
    return status


@dataclass
class Worker:
    """One process's SMS worker. `wake()` after committing a delivery sends it at once;
    otherwise the worker looks every `poll_s` (deliveries queued by other processes,
    retries that came due)."""

    sessions: async_sessionmaker[AsyncSession]
    transport: Transport
    policy: Policy
    poll_s: float = 1.0
    lease_s: float = LEASE_S
    task: asyncio.Task[None] | None = field(default=None, repr=False)
    _woken: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def wake(self) -> None:
        self._woken.set()

    async def deliver(self, delivery_id: uuid.UUID) -> str | None:
        """One attempt at one delivery, if this worker can claim it; the new status."""
        async with transaction(self.sessions) as session:
            held = await claim(session, delivery_id, utcnow(), lease_s=self.lease_s)
        if held is None:
            return None
        error: SendError | None = None
        started = time.perf_counter()
        try:
            await self.transport.send(held.message)
        except SendError as exc:
            error = exc
        except Exception as exc:  # a transport's own bug must not stop the worker: retry later
            log.exception("SMS transport %s failed unexpectedly", self.transport.name)
            error = SendError(f"{type(exc).__name__}: {exc}")
        duration_ms = (time.perf_counter() - started) * 1000
        async with transaction(self.sessions) as session:
            return await record(
                session,
                held,
                error,
                transport=self.transport.name,
                duration_ms=duration_ms,
                policy=self.policy,
                now=utcnow(),
            )

    async def run_once(self) -> int:
        """Attempt every delivery due now; returns how many attempts this worker made."""
        async with transaction(self.sessions) as session:
            ids = await due(session, utcnow())
        made = 0
        for delivery_id in ids:
            if await self.deliver(delivery_id) is not None:
                made += 1
        return made

    async def run(self) -> None:
        while True:
            self._woken.clear()
            try:
                await self.run_once()
            except Exception as exc:  # a database outage: try again on the next round
                log.warning("SMS worker: %s: %s", type(exc).__name__, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), self.poll_s)

    async def stop(self) -> None:
        await tasks.cancel(self.task)
        await self.transport.close()


async def start(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> Worker:
    """The worker for this process, running, with the transport `NETALARM_SMS_URL` names."""
    policy = Policy(max_attempts=settings.sms_max_attempts, retry_s=settings.sms_retry_s)
    worker = Worker(sessions, make_transport(settings), policy, poll_s=settings.sms_poll_s)
    worker.task = asyncio.create_task(worker.run(), name="netalarm-sms")
    return worker


def sms_worker(request: Request) -> Worker:
    worker: Worker = request.app.state.sms
    return worker


WorkerDep = Annotated[Worker, Depends(sms_worker)]
