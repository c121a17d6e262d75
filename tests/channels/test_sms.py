"""The SMS channel's services: queueing (what is written, what is refused) and the delivery
worker (claimed once however many race, retried, failed for good), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.channels.sms import service as sms_service
from netalarm.channels.sms import worker as sms_worker
from netalarm.channels.sms.file import FileTransport
from netalarm.channels.sms.gateway import GatewayTransport
from netalarm.channels.sms.models import SmsAttempt, SmsDelivery
from netalarm.core.clock import utcnow
from netalarm.core.db import transaction
from netalarm.core.errors import Conflict, Invalid, NotFound
from netalarm.core.outbox import OutboxEvent
from netalarm.incidents import actions
from netalarm.timeline import service as timeline_service
from tests.support import factories
from tests.support.factories import Tree
from tests.support.sms_gateway import Gateway

PHONE = "13800138000"
E164 = "+8613800138000"
FAST = sms_worker.Policy(max_attempts=3, retry_s=0.05)


async def _types(session: AsyncSession, incident_id: uuid.UUID) -> list[str]:
    return [e.type for e in await timeline_service.entries(session, incident_id)]


async def _queued(sessions: async_sessionmaker[AsyncSession], text: str = "Police are on the way") -> tuple:
    """A tree, an alarm with a phone, and one SMS queued on it, all committed."""
    async with transaction(sessions) as session:
        t = await factories.tree(session)
        made = await factories.alarm(session, t.city, Tree.A_POINT, reporter={"phone": PHONE})
        delivery = await sms_service.queue(session, t.a_seat, made.incident.id, text=text)
    return t, made.incident.id, delivery.id


def _worker(sessions: async_sessionmaker[AsyncSession], url: str, policy: sms_worker.Policy = FAST):
    return sms_worker.Worker(sessions, GatewayTransport(url, timeout_s=5), policy, poll_s=0.05)


async def _until_done(worker: sms_worker.Worker, delivery_id: uuid.UUID, within: float = 10) -> SmsDelivery:
    """Let the worker run until the delivery is sent or failed (retries come due meanwhile)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        await worker.run_once()
        async with worker.sessions() as session:
            delivery = await session.get(SmsDelivery, delivery_id)
            assert delivery is not None
            if delivery.status in ("sent", "failed"):
                return delivery
        assert asyncio.get_running_loop().time() < deadline, f"still {delivery.status}"
        await asyncio.sleep(0.02)


async def test_queueing_makes_a_pending_delivery_and_a_timeline_entry(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT, reporter={"phone": PHONE})
    delivery = await sms_service.queue(session, t.a_seat, made.incident.id, text="  Stay where you are.  ")
    assert (delivery.status, delivery.to, delivery.to_source, delivery.attempts) == (
        "pending",
        E164,
        "reporter",
        0,
    )
    assert delivery.text == "Stay where you are." and delivery.seat_username == t.a_seat.username
    entries = await timeline_service.entries(session, made.incident.id)
    assert [e.type for e in entries] == ["alarm_received", "sms_queued"]
    assert entries[-1].actor == t.a_seat.actor
    assert entries[-1].data == {
        "delivery_id": str(delivery.id),
        "to": "+86 138****8000",
        "to_source": "reporter",
        "text": "Stay where you are.",
    }
    event = await session.scalar(
        select(OutboxEvent).where(
            OutboxEvent.incident_id == made.incident.id, OutboxEvent.type == "sms_queued"
        )
    )
    assert event is not None and event.centre_id == t.a.id
    listed = await sms_service.for_incident(session, made.incident.id)
    assert [(d["id"], d["status"], d["to"], d["tries"]) for d in listed] == [
        (str(delivery.id), "pending", "+86 138****8000", [])
    ]
    assert E164 not in str(listed)  # every seat of the centre reads the list: the number stays masked


async def test_a_number_the_seat_gives_is_used_and_marked_as_the_seats(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT)  # anonymous: no phone
    delivery = await sms_service.queue(session, t.a_seat, made.incident.id, text="Hello", to="139 0013 9000")
    assert (delivery.to, delivery.to_source) == ("+8613900139000", "seat")


@pytest.mark.parametrize(
    ("fields", "error", "field", "code"),
    [
        ({"text": "Hello"}, Invalid, "to", "no_phone"),  # anonymous reporter, no `to`
        ({"text": "Hello", "to": "12"}, Invalid, "to", "invalid"),
        ({"text": "   "}, Invalid, "text", "invalid"),
        ({"text": "x" * (sms_service.MAX_TEXT + 1)}, Invalid, "text", "invalid"),
    ],
)
async def test_bad_input_is_refused_with_its_field_and_writes_nothing(
    session: AsyncSession, fields: dict[str, str], error: type[Exception], field: str, code: str
) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT)
    with pytest.raises(error) as refused:
        async with session.begin_nested():
            await sms_service.queue(session, t.a_seat, made.incident.id, **fields)
    assert (refused.value.field, refused.value.code) == (field, code)  # type: ignore[attr-defined]
    assert await _types(session, made.incident.id) == ["alarm_received"]
    assert await sms_service.for_incident(session, made.incident.id) == []


async def test_a_closed_incident_or_another_centres_seat_is_refused(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT, reporter={"phone": PHONE})
    with pytest.raises(NotFound):
        async with session.begin_nested():
            await sms_service.queue(session, t.b_seat, made.incident.id, text="Hello")
    await actions.act(session, t.a_seat, made.incident.id, "close", disposition="false_alarm")
    with pytest.raises(Conflict) as closed:
        async with session.begin_nested():
            await sms_service.queue(session, t.a_seat, made.incident.id, text="Hello")
    assert closed.value.code == "incident_closed"
    assert await _types(session, made.incident.id) == ["alarm_received", "closed"]
    # The city above the district sees the incident (and would be refused only as closed).
    with pytest.raises(Conflict):
        await sms_service.queue(session, t.city_seat, made.incident.id, text="Hello")


async def test_two_workers_racing_send_each_sms_once(
    own_database: async_sessionmaker[AsyncSession], gateway: Gateway
) -> None:
    sessions = own_database
    gateway.delay_s = 0.05  # both workers are inside their rounds at the same time
    ids = [(await _queued(sessions, f"message {n}"))[2] for n in range(4)]
    workers = [_worker(sessions, gateway.url) for _ in range(3)]
    made = await asyncio.gather(*(w.run_once() for w in workers))
    assert sum(made) == 4
    assert sorted(r["id"] for r in gateway.received) == sorted(str(i) for i in ids)
    assert all(r["to"] == E164 for r in gateway.received)
    async with sessions() as session:
        for delivery_id in ids:
            delivery = await session.get(SmsDelivery, delivery_id)
            assert delivery is not None and (delivery.status, delivery.attempts) == ("sent", 1)
            assert await _types(session, delivery.incident_id) == [
                "alarm_received",
                "sms_queued",
                "sms_delivered",
            ]
    assert sum(await asyncio.gather(*(w.run_once() for w in workers))) == 0
    for w in workers:
        await w.stop()


async def test_a_retryable_failure_is_retried_and_then_delivered(
    own_database: async_sessionmaker[AsyncSession], gateway: Gateway
) -> None:
    gateway.script = [500, 503]
    _, incident_id, delivery_id = await _queued(own_database)
    worker = _worker(own_database, gateway.url)
    delivery = await _until_done(worker, delivery_id)
    await worker.stop()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 3, None)
    assert [r["id"] for r in gateway.received] == [str(delivery_id)] * 3
    async with own_database() as session:
        tries = list(await session.scalars(select(SmsAttempt).where(SmsAttempt.delivery_id == delivery_id)))
        assert sorted((a.number, a.outcome) for a in tries) == [
            (1, "retryable"),
            (2, "retryable"),
            (3, "sent"),
        ]
        assert all(a.duration_ms > 0 and a.transport == "http" for a in tries)
        assert "500" in (min(tries, key=lambda a: a.number).error or "")
        assert await _types(session, incident_id) == ["alarm_received", "sms_queued", "sms_delivered"]
        retries = await session.scalars(
            select(OutboxEvent).where(OutboxEvent.incident_id == incident_id, OutboxEvent.type == "sms_retry")
        )
        assert [e.data["attempts"] for e in retries] == [1, 2]
        listed = (await sms_service.for_incident(session, incident_id))[0]
        assert (listed["status"], listed["attempts"], len(listed["tries"])) == ("sent", 3, 3)


async def test_a_permanent_failure_is_marked_failed_with_its_error_at_once(
    own_database: async_sessionmaker[AsyncSession], gateway: Gateway
) -> None:
    gateway.script = [400]
    _, incident_id, delivery_id = await _queued(own_database)
    worker = _worker(own_database, gateway.url)
    delivery = await _until_done(worker, delivery_id)
    await worker.stop()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error and "400" in delivery.last_error
    assert len(gateway.received) == 1
    async with own_database() as session:
        entries = await timeline_service.entries(session, incident_id)
        assert [e.type for e in entries] == ["alarm_received", "sms_queued", "sms_failed"]
        assert entries[-1].actor == "system:sms" and "400" in entries[-1].data["error"]
        listed = (await sms_service.for_incident(session, incident_id))[0]
        assert (listed["status"], listed["error"]) == ("failed", delivery.last_error)


async def test_retries_stop_at_the_limit_and_the_sms_fails(
    own_database: async_sessionmaker[AsyncSession], gateway: Gateway
) -> None:
    gateway.script = [500] * 10
    _, _, delivery_id = await _queued(own_database)
    worker = _worker(own_database, gateway.url)
    delivery = await _until_done(worker, delivery_id)
    await worker.stop()
    assert (delivery.status, delivery.attempts) == ("failed", FAST.max_attempts)
    assert len(gateway.received) == FAST.max_attempts


async def test_an_unreachable_gateway_is_retryable(own_database: async_sessionmaker[AsyncSession]) -> None:
    _, _, delivery_id = await _queued(own_database)
    worker = _worker(own_database, "http://127.0.0.1:9/send")  # the discard port: refused
    tried_at = utcnow()
    assert await worker.deliver(delivery_id) == "pending"
    await worker.stop()
    async with own_database() as session:
        delivery = await session.get(SmsDelivery, delivery_id)
        assert delivery is not None and delivery.last_error and "unreachable" in delivery.last_error
        # Retried after the backoff, counted from the attempt (FAST's backoff is milliseconds:
        # by now it may well have passed).
        assert delivery.next_attempt_at >= tried_at + timedelta(seconds=FAST.retry_s)


async def test_a_claim_left_by_a_dead_worker_is_taken_again_once_its_lease_ends(
    own_database: async_sessionmaker[AsyncSession], gateway: Gateway
) -> None:
    _, _, delivery_id = await _queued(own_database)
    async with transaction(own_database) as session:  # a worker claimed it, then died
        assert await sms_worker.claim(session, delivery_id, utcnow(), lease_s=60) is not None
    worker = _worker(own_database, gateway.url)
    assert await worker.run_once() == 0  # the lease still holds
    async with transaction(own_database) as session:
        stale = await session.get(SmsDelivery, delivery_id)
        assert stale is not None
        stale.claimed_until = utcnow() - timedelta(seconds=1)
    assert await worker.run_once() == 1
    await worker.stop()
    async with own_database() as session:
        delivery = await session.get(SmsDelivery, delivery_id)
        assert delivery is not None and (delivery.status, delivery.attempts) == ("sent", 2)


async def test_the_file_transport_appends_what_would_be_sent(
    own_database: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    _, incident_id, delivery_id = await _queued(own_database, "你好，警察马上到。")
    path = tmp_path / "sms" / "outbox.jsonl"
    worker = sms_worker.Worker(own_database, FileTransport(path), FAST)
    assert await worker.run_once() == 1
    await worker.stop()
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert [(r["id"], r["to"], r["text"]) for r in lines] == [(str(delivery_id), E164, "你好，警察马上到。")]
    async with own_database() as session:
        assert await _types(session, incident_id) == ["alarm_received", "sms_queued", "sms_delivered"]
