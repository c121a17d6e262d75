"""The timeline: append-only, hash-chained; verification finds the first altered entry."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.core.errors import DomainError
from netalarm.incidents import actions
from netalarm.incidents.lifecycle import STATUSES
from netalarm.incidents.models import Incident
from netalarm.timeline import service as timeline_service
from netalarm.timeline.chain import GENESIS
from netalarm.timeline.models import TimelineEntry
from tests.support import factories
from tests.support.factories import Tree


async def test_entries_chain_from_genesis_and_verify(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT, description="长文本 with ünïcode")
    await actions.act(session, t.a_seat, made.incident.id, "accept")
    entries = await timeline_service.entries(session, made.incident.id)
    assert [e.seq for e in entries] == [1, 2]
    assert entries[0].prev_hash == GENESIS and entries[1].prev_hash == entries[0].hash
    assert timeline_service.verify_entries(entries).ok


def test_an_empty_timeline_verifies_with_zero_entries() -> None:
    result = timeline_service.verify_entries([])
    assert (result.ok, result.entries, result.first_broken) == (True, 0, None)


ALTERATIONS: dict[str, dict[str, Any]] = {
    "actor": {"actor": "seat:someone-else"},
    "type": {"type": "closed"},
    "data": {"data": {"forged": True}},
    "hash": {"hash": "f" * 64},
    "prev_hash": {"prev_hash": "0" * 64},
}


@pytest.mark.parametrize("field", sorted(ALTERATIONS))
async def test_altering_a_stored_entry_breaks_verification_at_that_entry(
    sessions: async_sessionmaker[AsyncSession], field: str
) -> None:
    async with sessions() as s:
        t = await factories.tree(s)
        made = await factories.alarm(s, t.city, Tree.A_POINT)
        steps: list[tuple[str, dict[str, Any]]] = [
            ("accept", {}),
            ("dispatch", {"note": "unit 3"}),
            ("resolve", {"outcome": "done"}),
        ]
        for step, extra in steps:
            await actions.act(s, t.a_seat, made.incident.id, step, **extra)
        await s.commit()
        await s.execute(
            update(TimelineEntry)
            .where(TimelineEntry.incident_id == made.incident.id, TimelineEntry.seq == 3)
            .values(**ALTERATIONS[field])
        )
        await s.commit()
    async with sessions() as check:
        result = await timeline_service.verify(check, made.incident.id)
    assert (result.ok, result.entries) == (False, 4)
    assert result.first_broken == 3


async def test_a_deleted_entry_breaks_the_chain_where_it_was(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as s:
        t = await factories.tree(s)
        made = await factories.alarm(s, t.city, Tree.A_POINT)
        await actions.act(s, t.a_seat, made.incident.id, "accept")
        await actions.act(s, t.a_seat, made.incident.id, "dispatch")
        entries = await timeline_service.entries(s, made.incident.id)
        await s.delete(entries[1])
        await s.commit()
        result = await timeline_service.verify(s, made.incident.id)
    assert not result.ok and result.first_broken == 3


ACTION = st.sampled_from(
    [
        ("accept", {}),
        ("dispatch", {"note": "unit"}),
        ("resolve", {"outcome": "ok"}),
        ("close", {"disposition": "handled"}),
        ("close", {"disposition": "false_alarm"}),
        ("close", {"disposition": "nonsense"}),
        ("classify", {"priority": "P2"}),
        ("classify", {"category": "fraud"}),
        ("transfer", {"centre": "B"}),
        ("merge", {"into": "other"}),
        ("resolve", {"outcome": ""}),
    ]
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(ACTION, max_size=8), tamper=st.integers(min_value=0, max_value=50))
async def test_any_action_sequence_leaves_a_legal_state_and_a_verifiable_chain(
    sessions: async_sessionmaker[AsyncSession], steps: list[tuple[str, dict[str, Any]]], tamper: int
) -> None:
    async with sessions() as s:
        t = await factories.tree(s)
        made = await factories.alarm(s, t.city, Tree.A_POINT)
        other = await factories.alarm(s, t.city, Tree.A_POINT)
        await s.commit()
    iid = made.incident.id
    for action, params in steps:
        kwargs = dict(params)
        if kwargs.get("centre") == "B":
            kwargs["centre"] = t.b.code
        if kwargs.get("into") == "other":
            kwargs["into"] = other.incident.id
        async with sessions() as s:
            try:
                await actions.act(s, t.city_seat, iid, action, **kwargs)
                await s.commit()
            except DomainError:
                await s.rollback()
    async with sessions() as s:
        incident = await s.get(Incident, iid)
        assert incident is not None and incident.status in STATUSES
        if incident.status == "closed":
            assert incident.disposition is not None and incident.closed_at is not None
        if incident.status in ("accepted", "dispatched", "resolved"):
            assert incident.accepted_by is not None
        entries = await timeline_service.entries(s, iid)
        assert timeline_service.verify_entries(entries).ok
        victim = entries[tamper % len(entries)]
        victim.data = {**victim.data, "tampered": secrets.token_hex(2)}
        result = timeline_service.verify_entries(entries)
        assert (result.ok, result.first_broken) == (False, victim.seq)
        await s.rollback()
