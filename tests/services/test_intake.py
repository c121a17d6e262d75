"""Intake: an alarm is stored once per idempotency key, routed, numbered and recorded."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.accounts.models import Reporter
from netalarm.core.errors import Invalid
from netalarm.incidents.case_numbers import CaseNumberReserver, take_case_numbers
from netalarm.incidents.models import Alarm
from netalarm.intake import service as intake_service
from netalarm.intake.batcher import IntakeBatcher
from netalarm.intake.schemas import AlarmIn
from netalarm.timeline import service as timeline_service
from tests.support import factories
from tests.support.factories import Tree


async def test_an_alarm_makes_a_received_incident_in_the_right_centre(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT, category="fire", description="smoke")
    assert made.created
    assert made.incident.status == "received"
    assert made.incident.centre_id == t.a.id
    assert made.incident.priority == "P1"
    assert re.fullmatch(rf"{t.a.code}-\d{{8}}-\d{{6}}", made.incident.case_number)
    entries = await timeline_service.entries(session, made.incident.id)
    assert [e.type for e in entries] == ["alarm_received"]
    assert entries[0].data["alarm_id"] == str(made.alarm.id)


async def test_case_numbers_count_up_per_centre_and_day(session: AsyncSession) -> None:
    t = await factories.tree(session)
    first = await factories.alarm(session, t.city, Tree.A_POINT)
    second = await factories.alarm(session, t.city, Tree.A_POINT)
    other = await factories.alarm(session, t.city, Tree.B_POINT)
    assert first.incident.case_number.endswith("-000001")
    assert second.incident.case_number.endswith("-000002")
    assert other.incident.case_number.endswith("-000001")


async def test_a_silent_alarm_with_only_a_position_is_a_p1_sos(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.B_POINT, silent=True)
    assert made.incident.silent and made.incident.priority == "P1" and made.incident.category == "other"


async def test_the_same_key_again_returns_the_same_alarm(session: AsyncSession) -> None:
    t = await factories.tree(session)
    body = AlarmIn(idempotency_key="same-key-" + t.city.code, description="first")
    first = await intake_service.submit(session, body, root=t.city, timezone="UTC")
    again = await intake_service.submit(session, body, root=t.city, timezone="UTC")
    assert not again.created
    assert (again.alarm.id, again.incident.id) == (first.alarm.id, first.incident.id)


async def test_fifty_identical_submissions_at_once_store_one_alarm(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as setup:
        t = await factories.tree(setup)
        await setup.commit()
    body = AlarmIn(idempotency_key="race-" + t.city.code, category="violence")

    async def submit() -> str:
        async with sessions() as s:
            result = await intake_service.submit(s, body, root=t.city, timezone="UTC")
            await s.commit()
            return str(result.alarm.id)

    ids = await asyncio.gather(*(submit() for _ in range(50)))
    assert len(set(ids)) == 1
    async with sessions() as check:
        stored = await check.scalar(
            select(func.count()).select_from(Alarm).where(Alarm.idempotency_key == body.idempotency_key)
        )
        assert stored == 1


async def test_identity_is_normalised_and_bad_identity_refused(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(
        session,
        t.city,
        reporter={"name": " 李雷 ", "phone": "138 0013 8000", "id_number": "11010519491231002x"},
    )
    reporter = await session.get(Reporter, made.alarm.reporter_id)
    assert reporter is not None
    assert (reporter.name, reporter.phone, reporter.id_number) == (
        "李雷",
        "+8613800138000",
        "11010519491231002X",
    )
    with pytest.raises(Invalid) as bad_phone:
        await factories.alarm(session, t.city, reporter={"phone": "12345"})
    assert bad_phone.value.field == "reporter.phone"
    with pytest.raises(Invalid) as bad_id:
        await factories.alarm(session, t.city, reporter={"id_number": "110105194912310021"})
    assert bad_id.value.field == "reporter.id_number"


async def test_a_batch_stores_each_new_key_once_and_answers_in_order(session: AsyncSession) -> None:
    t = await factories.tree(session)
    earlier = await factories.alarm(session, t.city, Tree.A_POINT)

    def sub(key: str, **fields: object) -> intake_service.Submission:
        return intake_service.Submission(AlarmIn(idempotency_key=f"{key}-{t.city.code}", **fields))

    batch = [
        sub("first", location={"lat": Tree.A_POINT[0], "lon": Tree.A_POINT[1]}),
        sub("second", location={"lat": Tree.B_POINT[0], "lon": Tree.B_POINT[1]}),
        sub("first", description="the same key again in the batch"),
        sub("bad", reporter={"phone": "12"}),
        intake_service.Submission(AlarmIn(idempotency_key=earlier.alarm.idempotency_key)),
        sub("third", location={"lat": Tree.A_POINT[0], "lon": Tree.A_POINT[1]}),
    ]
    results = await intake_service.submit_many(session, batch, root=t.city, timezone="Asia/Shanghai")
    first, second, again, bad, old, third = results
    assert isinstance(bad, Invalid) and bad.field == "reporter.phone"
    assert isinstance(first, intake_service.Submitted) and first.created
    assert (
        isinstance(again, intake_service.Submitted) and not again.created and again.alarm.id == first.alarm.id
    )
    assert isinstance(old, intake_service.Submitted) and not old.created and old.alarm.id == earlier.alarm.id
    assert isinstance(second, intake_service.Submitted) and second.incident.centre_id == t.b.id
    assert isinstance(third, intake_service.Submitted)
    assert (first.incident.case_number[-6:], third.incident.case_number[-6:]) == ("000002", "000003")
    for made in (first, second, third):
        assert (await timeline_service.verify(session, made.incident.id)).entries == 1


async def test_the_batcher_commits_concurrent_alarms_and_answers_each(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as setup:
        t = await factories.tree(setup)
        await setup.commit()
    batcher = IntakeBatcher(sessions, centre=t.city.code, timezone="UTC")
    batcher.start()
    try:
        bodies = [AlarmIn(idempotency_key=f"batched-{i}-{t.city.code}", category="fire") for i in range(30)]
        answers = await asyncio.gather(*(batcher.submit(intake_service.Submission(b)) for b in bodies))
        bad = batcher.submit(
            intake_service.Submission(
                AlarmIn(idempotency_key=f"bad-{t.city.code}", reporter={"id_number": "1"})
            )
        )
        with pytest.raises(Invalid):
            await bad
    finally:
        await batcher.stop()
    assert all(a.created for a in answers) and len({a.incident.case_number for a in answers}) == 30
    async with sessions() as check:
        keys = [b.idempotency_key for b in bodies]
        stored = await check.scalar(
            select(func.count()).select_from(Alarm).where(Alarm.idempotency_key.in_(keys))
        )
        assert stored == 30


async def test_reserved_case_numbers_are_never_handed_out_again(
    sessions: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("on SQLite a batch takes its numbers in its own transaction")
    async with sessions() as setup:
        t = await factories.tree(setup)
        await setup.commit()
    at = datetime.now(UTC)
    # The zone the factory's alarms are numbered in: the numbers below share their local day.
    reserver = CaseNumberReserver(db_url, "Asia/Shanghai")
    try:
        reserved = await reserver.reserve({t.a.code: 2, t.b.code: 1}, at)
        assert await reserver.reserve({}, at) == {}
    finally:
        await reserver.close()
    assert [n[-6:] for n in reserved[t.a.code]] == ["000001", "000002"]
    assert [n[-6:] for n in reserved[t.b.code]] == ["000001"]
    # The batch that reserved them failed: the numbers stay used, the next alarm goes on.
    async with sessions() as s:
        made = await factories.alarm(s, t.city, Tree.A_POINT)
        await s.commit()
    assert made.incident.case_number[-6:] == "000003"
    async with sessions() as s:
        assert await take_case_numbers(s, {}, at, "Asia/Shanghai") == {}


async def test_a_batch_holding_a_key_stored_before_stores_the_rest_and_returns_the_stored_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as setup:
        t = await factories.tree(setup)
        earlier = await factories.alarm(setup, t.city, Tree.A_POINT)
        await setup.commit()
    batcher = IntakeBatcher(sessions, centre=t.city.code, timezone="UTC")
    batcher.start()
    try:
        retry = intake_service.Submission(AlarmIn(idempotency_key=earlier.alarm.idempotency_key))
        fresh = intake_service.Submission(AlarmIn(idempotency_key=f"fresh-{t.city.code}", category="fire"))
        again, new = await asyncio.gather(batcher.submit(retry), batcher.submit(fresh))
    finally:
        await batcher.stop()
    assert not again.created and again.alarm.id == earlier.alarm.id
    assert new.created and new.incident.case_number != earlier.incident.case_number
    async with sessions() as check:
        stored = await check.scalar(
            select(func.count())
            .select_from(Alarm)
            .where(Alarm.idempotency_key.in_([earlier.alarm.idempotency_key, fresh.body.idempotency_key]))
        )
        assert stored == 2
