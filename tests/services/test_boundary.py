"""The 110 boundary link's services: forwarding on the Internet side, receiving on the
intranet side, and the 110 seat's progress travelling back — each once, however often sent."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.accounts.models import Reporter
from netalarm.boundary import forwarded_case, inside, outside, puller
from netalarm.boundary.document import Forward
from netalarm.boundary.fetcher import Fetcher
from netalarm.boundary.models import LinkForward
from netalarm.core.errors import Conflict, Invalid, NotFound
from netalarm.core.settings import Settings
from netalarm.exports import eido
from netalarm.incidents import actions
from netalarm.incidents import service as incident_service
from netalarm.incidents.models import Incident
from netalarm.media import files
from netalarm.media.storage.local import LocalStorage
from netalarm.messaging import service as messaging_service
from netalarm.timeline import service as timeline_service
from tests.support import factories
from tests.support.factories import Tree

REPORTER = {"name": "Li Lei", "phone": "13800138000"}


async def _accepted(session: AsyncSession, t: Tree, **fields: Any) -> Incident:
    made = await factories.alarm(session, t.city, Tree.A_POINT, **fields)
    return await actions.act(session, t.a_seat, made.incident.id, "accept")


async def _forward(
    session: AsyncSession, t: Tree, incident: Incident, note: str = "armed man"
) -> LinkForward:
    await actions.act(session, t.a_seat, incident.id, "forward-110", note=note, link_110=True)
    found = await session.scalar(select(LinkForward).where(LinkForward.incident_id == incident.id))
    assert found is not None
    return found


async def _types(session: AsyncSession, incident_id: uuid.UUID) -> list[str]:
    return [e.type for e in await timeline_service.entries(session, incident_id)]


async def test_forwarding_an_accepted_incident_dispatches_it_and_queues_it_for_110(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    incident = await _accepted(session, t, category="violence", description="fight", reporter=REPORTER)
    row = await _forward(session, t, incident, "two men, one knife")
    assert (incident.status, incident.dispatch_note) == ("dispatched", "two men, one knife")
    forward = Forward.model_validate(row.document)
    assert (forward.case_number, forward.priority, forward.category, forward.note) == (
        incident.case_number,
        "P1",
        "violence",
        "two men, one knife",
    )
    assert forward.reporter is not None and forward.reporter.phone == "+8613800138000"
    assert forward.location is not None and forward.location.lat == Tree.A_POINT[0]
    [entry] = [e for e in await timeline_service.entries(session, incident.id) if e.type == "forwarded_110"]
    assert entry.data["identity_shared"] is True and entry.data["previous_status"] == "accepted"
    assert row.document in await outside.waiting(session, "110", limit=500)


async def test_an_anonymous_report_is_forwarded_without_identity(session: AsyncSession) -> None:
    t = await factories.tree(session)
    row = await _forward(session, t, await _accepted(session, t))
    assert Forward.model_validate(row.document).reporter is None


@pytest.mark.parametrize(
    ("steps", "body", "refusal"),
    [
        (["accept"], {"note": "x", "link_110": False}, Conflict),
        ([], {"note": "x", "link_110": True}, Conflict),
        (["accept"], {"note": "  ", "link_110": True}, Invalid),
        (["accept"], {"note": None, "link_110": True}, Invalid),
        (["close"], {"note": "x", "link_110": True}, Conflict),
        (["accept", "forward"], {"note": "again", "link_110": True}, Conflict),
    ],
)
async def test_a_refused_forward_changes_nothing(
    session: AsyncSession, steps: list[str], body: dict[str, Any], refusal: type[Exception]
) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT)
    for step in steps:
        if step == "forward":
            await actions.act(session, t.a_seat, made.incident.id, "forward-110", note="first", link_110=True)
        else:
            disposition = "false_alarm" if step == "close" else None
            await actions.act(session, t.a_seat, made.incident.id, step, disposition=disposition)
    before = (made.incident.status, await _types(session, made.incident.id))
    with pytest.raises(refusal):
        async with session.begin_nested():
            await actions.act(session, t.a_seat, made.incident.id, "forward-110", **body)
    incident = await session.get(Incident, made.incident.id, populate_existing=True)
    assert incident is not None
    assert (incident.status, await _types(session, incident.id)) == before


async def test_the_intranet_makes_one_incident_per_forward_however_often_it_is_pulled(
    session: AsyncSession,
) -> None:
    t, intranet = await factories.tree(session), await factories.tree(session)
    row = await _forward(session, t, await _accepted(session, t, category="fire", reporter=REPORTER))
    forward = Forward.model_validate(row.document)
    first = await inside.receive(session, forward, root=intranet.city, timezone="Asia/Shanghai")
    again = await inside.receive(session, forward, root=intranet.city, timezone="Asia/Shanghai")
    assert first.created and not again.created and again.incident_id == first.incident_id
    made = await session.get(Incident, first.incident_id)
    assert made is not None
    # Routed by position inside the intranet's own tree; priority and category kept.
    assert (made.status, made.centre_id, made.priority, made.category) == (
        "received",
        intranet.a.id,
        "P1",
        "fire",
    )
    assert made.case_number.startswith(intranet.a.code) and made.case_number == first.case_number
    person = await session.get(Reporter, made.reporter_id)
    assert person is not None and (person.name, person.phone) == ("Li Lei", "+8613800138000")
    [entry] = await timeline_service.entries(session, made.id)
    assert entry.type == "received_from_network"
    assert (entry.data["source_case_number"], entry.data["note"]) == (forward.case_number, "armed man")


async def test_the_110_seats_progress_comes_back_once_and_resolves_the_internet_incident(
    session: AsyncSession,
) -> None:
    t, intranet = await factories.tree(session), await factories.tree(session)
    incident = await _accepted(session, t)
    row = await _forward(session, t, incident)
    received = await inside.receive(
        session, Forward.model_validate(row.document), root=intranet.city, timezone="Asia/Shanghai"
    )
    here = received.incident_id
    await actions.act(session, intranet.a_seat, here, "accept")
    await actions.act(session, intranet.a_seat, here, "dispatch", note="patrol 3")
    await actions.act(session, intranet.a_seat, here, "resolve", outcome="suspect held")
    updates = (await inside.unsent(session))[row.id]
    assert [u.type for u in updates] == ["received_from_network", "accepted", "dispatched", "resolved"]
    assert updates[2].data == {"note": "patrol 3"}

    applied = await outside.take_progress(session, row.id, updates)
    assert applied == updates[-1].seq
    assert await outside.take_progress(session, row.id, updates) == applied  # a repeat adds nothing
    await inside.confirm(session, row.id, applied)
    assert row.id not in await inside.unsent(session)

    await session.refresh(incident)
    await session.refresh(row)
    assert (incident.status, incident.outcome) == ("resolved", "suspect held")
    assert (row.received_at is not None, row.remote_case_number) == (True, received.case_number)
    assert row.document not in await outside.waiting(session, "110", limit=500)
    entries = await timeline_service.entries(session, incident.id)
    stages = [e.data["stage"] for e in entries if e.type == "link_110"]
    assert stages == ["received_from_network", "accepted", "dispatched", "resolved"]
    assert entries[-1].type == "resolved" and entries[-1].data == {"outcome": "suspect held", "by": "110"}
    assert (await timeline_service.verify(session, incident.id)).ok
    # The network seat closes the loop.
    closed = await actions.act(session, t.a_seat, incident.id, "close", disposition="handled")
    assert closed.status == "closed"


async def test_progress_for_an_unknown_forward_is_not_found(session: AsyncSession) -> None:
    with pytest.raises(NotFound):
        await outside.take_progress(session, uuid.uuid4(), [])


@pytest.mark.parametrize(
    "settings",
    [
        {"link_token": "secret"},
        {"link_url": "http://outside.example"},
        {"link_url": "outside.example", "link_token": "secret"},
    ],
)
async def test_an_intranet_server_with_half_a_link_refuses_to_start(
    sessions: async_sessionmaker[AsyncSession], settings: dict[str, str], tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="NETALARM_LINK_URL"):
        await puller.start(Settings(role="intranet", **settings), sessions, LocalStorage(tmp_path))  # type: ignore[arg-type]


async def test_an_internet_server_runs_no_puller(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    assert (
        await puller.start(Settings(role="internet", link_token="secret"), sessions, LocalStorage(tmp_path))
        is None
    )


async def test_the_conversation_and_the_reporters_positions_follow_the_case_both_ways(
    session: AsyncSession,
) -> None:
    t, intranet = await factories.tree(session), await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT, category="violence")
    incident = await actions.act(session, t.a_seat, made.incident.id, "accept")
    row = await _forward(session, t, incident)
    received = await inside.receive(
        session, Forward.model_validate(row.document), root=intranet.city, timezone="Asia/Shanghai"
    )
    reporter_actor = f"reporter:{made.alarm.reporter_id}"
    await messaging_service.post(
        session,
        incident=incident,
        alarm_id=made.alarm.id,
        sender="reporter",
        actor=reporter_actor,
        text="He went into the metro",
        media_ids=[],
    )
    moved = incident_service.Location(lat=22.56, lon=114.06, accuracy_m=8.0, source="gps")
    await incident_service.add_location(session, made.alarm, moved, actor=reporter_actor)

    news = (await outside.news(session, {row.id: 0}, target="110"))[row.id]
    assert [n.type for n in news] == ["message", "location"]
    seq = await inside.take_news(session, row.id, news, source="network", actor="system:110-link")
    assert await inside.take_news(session, row.id, news, source="network", actor="system:110-link") == seq
    here = await session.get(Incident, received.incident_id, populate_existing=True)
    assert here is not None and (here.lat, here.lon) == (22.56, 114.06)
    [heard] = await messaging_service.for_alarm(session, (await _relay_alarm(session, here.id)))
    assert (heard.sender, heard.text) == ("reporter", "He went into the metro")
    with pytest.raises(NotFound):  # news for a forward from someone else
        await inside.take_news(session, row.id, news, source="440300", actor="system:federation")

    await messaging_service.post(
        session,
        incident=here,
        alarm_id=heard.alarm_id,
        sender="seat",
        actor=intranet.a_seat.actor,
        text="Which exit?",
        media_ids=[],
        seat_username=intranet.a_seat.username,
    )
    back = (await inside.unsent(session))[row.id]
    said = [u for u in back if u.type == "message"]
    assert [u.data["text"] for u in said] == ["Which exit?"]  # the reporter's own message is not sent back
    await outside.take_progress(session, row.id, back)
    conversation = await messaging_service.for_alarm(session, made.alarm.id)
    assert [(m.sender, m.seat_username, m.text) for m in conversation][-1] == (
        "seat",
        f"110:{intranet.a_seat.username}",
        "Which exit?",
    )
    # What came over the link is not news to send over again.
    assert (await outside.news(session, {row.id: news[-1].seq}, target="110")).get(row.id) is None
    assert (await timeline_service.verify(session, incident.id)).ok


async def test_a_reclassification_on_either_side_is_told_to_the_other_which_keeps_its_own(
    session: AsyncSession,
) -> None:
    t, intranet = await factories.tree(session), await factories.tree(session)
    incident = await _accepted(session, t, category="disturbance")
    row = await _forward(session, t, incident)
    received = await inside.receive(
        session, Forward.model_validate(row.document), root=intranet.city, timezone="Asia/Shanghai"
    )
    here = await session.get(Incident, received.incident_id)
    assert here is not None
    before = (here.priority, here.category)
    await actions.classify(session, t.a_seat, incident, priority="P1", category="violence")

    news = (await outside.news(session, {row.id: 0}, target="110"))[row.id]
    assert [n.type for n in news] == ["classified"]
    await inside.take_news(session, row.id, news, source="network", actor="system:110-link")
    await inside.take_news(session, row.id, news, source="network", actor="system:110-link")
    told = [e for e in await timeline_service.entries(session, here.id) if e.type == "classified_at_source"]
    assert [(e.data["to"], e.data["seat"], e.data["source_case_number"]) for e in told] == [
        ({"priority": "P1", "category": "violence"}, t.a_seat.username, incident.case_number)
    ]
    assert (here.priority, here.category) == before  # the case inside keeps its own

    await actions.classify(session, intranet.a_seat, here, priority="P2")
    back = (await inside.unsent(session))[row.id]
    assert [u.type for u in back if u.type == "classified"] == ["classified"]  # the told one is not sent back
    await outside.take_progress(session, row.id, back)
    updates = [e for e in await timeline_service.entries(session, incident.id) if e.type == "link_110"]
    assert [(e.data["stage"], e.data["to"]) for e in updates if e.data["stage"] == "classified"] == [
        ("classified", {"priority": "P2"})
    ]
    assert incident.priority == "P1"
    assert (await timeline_service.verify(session, here.id)).ok


async def _relay_alarm(session: AsyncSession, incident_id: uuid.UUID) -> uuid.UUID:
    [alarm_id] = await incident_service.alarm_ids(session, incident_id)
    return alarm_id


async def test_the_eido_export_tells_the_hand_over_to_110_and_what_110_did(session: AsyncSession) -> None:
    t, intranet = await factories.tree(session), await factories.tree(session)
    incident = await _accepted(session, t)
    row = await _forward(session, t, incident, "armed suspect, send the SWAT team")
    received = await inside.receive(
        session, Forward.model_validate(row.document), root=intranet.city, timezone="Asia/Shanghai"
    )
    await actions.act(session, intranet.a_seat, received.incident_id, "accept")
    await outside.take_progress(session, row.id, (await inside.unsent(session))[row.id])
    notes = [
        n["notesActionComments"]
        for n in (await eido.document(session, incident, role="internet"))["notesComponent"]
    ]
    assert any(
        "Forwarded to the 110 seat (was accepted). Note: armed suspect, send the SWAT team" in n
        for n in notes
    )
    assert any(
        f"110 case {received.case_number} accepted by seat {intranet.a_seat.username}" in n for n in notes
    )
    inner = await session.get(Incident, received.incident_id)
    assert inner is not None
    intranet_notes = [
        n["notesActionComments"]
        for n in (await eido.document(session, inner, role="intranet"))["notesComponent"]
    ]
    assert any(f"(their case {incident.case_number})" in n for n in intranet_notes)


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_the_fetcher_goes_on_with_a_broken_off_file_until_the_sweeper_could_take_its_staging(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    storage = LocalStorage(tmp_path)
    async with httpx.AsyncClient() as client:
        fetcher = Fetcher(sessions, client, storage, "http://127.0.0.1:9/api/v1/link/110")
        media_id = uuid.uuid4()
        first = await fetcher._resumable(media_id)
        await files.take(storage, first, _chunks(b"x" * 1000))
        assert await fetcher._resumable(media_id) is first  # a later round goes on from byte 1000
        assert (tmp_path / "uploads" / first.staging).stat().st_size == 1000
        first.touched -= files.STAGING_LOST_AFTER / 2 + timedelta(minutes=1)  # the link was down for hours
        again = await fetcher._resumable(media_id)
        assert again is not first and again.offset == 0
        assert not (tmp_path / "uploads" / first.staging).exists()  # dropped, not left to the sweeper


async def test_a_case_from_the_link_says_which_network_case_it_is_and_when_the_reporter_alarmed(
    session: AsyncSession,
) -> None:
    t, intranet = await factories.tree(session), await factories.tree(session)
    incident = await _accepted(session, t)
    row = await _forward(session, t, incident, "armed man")
    received = await inside.receive(
        session, Forward.model_validate(row.document), root=intranet.city, timezone="Asia/Shanghai"
    )
    came = await forwarded_case.from_network(session, received.incident_id)
    assert came is not None
    assert (came["case_number"], came["centre"], came["forwarded_by"], came["note"]) == (
        incident.case_number,
        t.a.code,
        t.a_seat.username,
        "armed man",
    )
    assert came["reported_at"] == incident.created_at.isoformat()
    assert await forwarded_case.from_network(session, incident.id) is None  # a case made here
