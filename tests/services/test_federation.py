"""Federation with the superior server, below HTTP: handing an incident up from the root
centre (by a seat, or by the SLA watchdog), receiving it above, the superior's progress
followed below, and the signatures that carry it."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.boundary import inside, outside
from netalarm.boundary.document import Forward
from netalarm.boundary.models import LinkForward
from netalarm.channels.sms import inbound
from netalarm.channels.sms import service as sms_service
from netalarm.channels.sms.models import SmsDelivery
from netalarm.core.errors import Conflict, Unauthorized
from netalarm.core.settings import Settings
from netalarm.federation import signing, worker
from netalarm.incidents import actions, sla
from netalarm.incidents.models import Incident
from netalarm.media.storage.local import LocalStorage
from netalarm.timeline import service as timeline_service
from tests.support import factories
from tests.support.factories import Tree

LIMITS = sla.Limits({"P1": 10.0, "P2": 20.0, "P3": 60.0, "P4": 300.0})


async def _up(session: AsyncSession, incident_id: uuid.UUID) -> LinkForward | None:
    return await session.scalar(
        select(LinkForward).where(LinkForward.incident_id == incident_id, LinkForward.target == "superior")
    )


async def test_a_root_centre_seat_escalates_to_the_superior_and_keeps_the_case(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.OUTSIDE, reporter={"phone": "13800138000"})
    assert made.incident.centre_id == t.city.id
    incident = await actions.act(session, t.city_seat, made.incident.id, "escalate", superior=True)
    assert (incident.status, incident.centre_id) == ("received", t.city.id)
    row = await _up(session, incident.id)
    assert row is not None and row.received_at is None
    forward = Forward.model_validate(row.document)
    assert (forward.case_number, forward.note, forward.forwarded_by) == (
        incident.case_number,
        "escalated by a seat",
        t.city_seat.username,
    )
    last = (await timeline_service.entries(session, incident.id))[-1]
    assert (last.type, last.data["reason"], last.data["identity_shared"]) == (
        "escalated_superior",
        "manual",
        True,
    )
    assert row.document in await outside.waiting(session, "superior", limit=500)
    assert row.document not in await outside.waiting(session, "110", limit=500)
    with pytest.raises(Conflict) as again:
        async with session.begin_nested():
            await actions.act(session, t.city_seat, incident.id, "escalate", superior=True)
    assert again.value.code == "already_escalated"


async def test_below_the_root_escalation_still_goes_to_the_parent_centre(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT)
    incident = await actions.act(session, t.a_seat, made.incident.id, "escalate", superior=True)
    assert incident.centre_id == t.city.id and await _up(session, incident.id) is None


async def test_without_a_superior_the_root_centre_cannot_escalate(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.OUTSIDE)
    with pytest.raises(Conflict) as refused:
        async with session.begin_nested():
            await actions.act(session, t.city_seat, made.incident.id, "escalate")
    assert refused.value.code == "no_parent_centre" and await _up(session, made.incident.id) is None


async def test_the_watchdog_hands_an_unaccepted_root_case_up_once(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.OUTSIDE, silent=True)
    created, iid = made.incident.created_at, made.incident.id
    await sla.sweep(session, LIMITS, created + timedelta(seconds=11), superior=True)
    raised = await sla.sweep(session, LIMITS, created + timedelta(seconds=21), superior=True)
    assert (iid, "escalated_superior") in raised
    assert (iid, "escalated_superior") not in await sla.sweep(
        session, LIMITS, created + timedelta(seconds=40), superior=True
    )
    types = [e.type for e in await timeline_service.entries(session, iid)]
    assert types == ["alarm_received", "sla_alert", "escalated_superior", "sla_alert"]
    assert await _up(session, iid) is not None


async def test_a_case_handed_up_by_hand_is_not_handed_up_again_by_the_watchdog(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.OUTSIDE, silent=True)
    await actions.act(session, t.city_seat, made.incident.id, "escalate", superior=True)
    raised = await sla.sweep(session, LIMITS, made.incident.created_at + timedelta(seconds=11), superior=True)
    raised += await sla.sweep(
        session, LIMITS, made.incident.created_at + timedelta(seconds=21), superior=True
    )
    assert (made.incident.id, "overdue") in raised


async def test_the_superiors_steps_are_followed_below_until_resolved(session: AsyncSession) -> None:
    below, above = await factories.tree(session), await factories.tree(session)
    made = await factories.alarm(session, below.city, Tree.OUTSIDE)
    row, forward, received = await factories.handed_up(session, below, above, made.incident.id)
    upper = await session.get(Incident, received.incident_id)
    assert upper is not None and (upper.centre_id, upper.status) == (above.city.id, "received")
    await actions.act(session, above.city_seat, upper.id, "accept")
    await actions.act(session, above.city_seat, upper.id, "dispatch", note="province unit 1")

    assert await inside.progress(session, {forward.forward_id: 0}, source="someone-else") == {}
    updates = (await inside.progress(session, {forward.forward_id: 0}, source=below.city.code))[
        forward.forward_id
    ]
    assert [u.type for u in updates] == ["escalated_in", "accepted", "dispatched"]
    assert (await inside.progress(session, {forward.forward_id: updates[1].seq}))[
        forward.forward_id
    ] == updates[2:]

    await outside.take_progress(session, row.id, updates)
    incident = await session.get(Incident, made.incident.id, populate_existing=True)
    assert incident is not None
    assert (incident.status, incident.accepted_by, incident.dispatch_note) == (
        "dispatched",
        f"superior:{above.city_seat.username}",
        "province unit 1",
    )
    types = [e.type for e in await timeline_service.entries(session, incident.id)]
    assert types[-5:] == ["superior_update", "superior_update", "accepted", "superior_update", "dispatched"]
    assert (await timeline_service.verify(session, incident.id)).ok


async def test_a_dispatch_by_the_superior_is_texted_to_a_reporter_who_alarmed_by_sms(
    session: AsyncSession,
) -> None:
    below, above = await factories.tree(session), await factories.tree(session)
    sms = inbound.Inbound(
        message_id="gw-fed-1", sender="13900135555", text="Kidnapping, white van", received_at=None
    )
    made = await inbound.receive(session, sms, root=below.city, timezone="Asia/Shanghai")
    row, forward, received = await factories.handed_up(session, below, above, made.incident.id)
    await actions.act(session, above.city_seat, received.incident_id, "accept")
    await actions.act(session, above.city_seat, received.incident_id, "dispatch", note="province unit 2")
    updates = (await inside.progress(session, {forward.forward_id: 0}, source=below.city.code))[
        forward.forward_id
    ]

    await outside.take_progress(session, row.id, updates)
    await outside.take_progress(session, row.id, updates)  # a repeat tells nothing twice
    texts = list(
        await session.scalars(select(SmsDelivery.text).where(SmsDelivery.incident_id == made.incident.id))
    )
    told = sms_service.STATUS_TEXTS["dispatched"].format(case=made.incident.case_number)
    assert texts.count(told) == 1


BODY = b'{"forward_id": "x"}'


def test_a_signed_message_names_its_sender() -> None:
    sent = signing.headers("440300", "k1", "POST", "/api/v1/federation/escalations", BODY, now=1000)
    assert (
        signing.verify({"440300": "k1"}, sent, "POST", "/api/v1/federation/escalations", BODY, now=1010)
        == "440300"
    )


@pytest.mark.parametrize(
    ("keys", "path", "body", "now", "field"),
    [
        ({"440300": "other"}, "/api/v1/federation/escalations", BODY, 1000, signing.SIGNATURE),
        ({"440301": "k1"}, "/api/v1/federation/escalations", BODY, 1000, signing.SENDER),
        ({"440300": "k1"}, "/api/v1/federation/progress", BODY, 1000, signing.SIGNATURE),
        ({"440300": "k1"}, "/api/v1/federation/escalations", b'{"forward_id": "y"}', 1000, signing.SIGNATURE),
        ({"440300": "k1"}, "/api/v1/federation/escalations", BODY, 1000 + 301, signing.TIMESTAMP),
    ],
)
def test_a_wrong_key_sender_path_body_or_time_is_refused(
    keys: dict[str, str], path: str, body: bytes, now: float, field: str
) -> None:
    sent = signing.headers("440300", "k1", "POST", "/api/v1/federation/escalations", BODY, now=1000)
    with pytest.raises(Unauthorized) as refused:
        signing.verify(keys, sent, "POST", path, body, now=now)
    assert refused.value.field == field


@pytest.mark.parametrize(
    "settings",
    [
        {"superior_url": "http://above.example"},
        {"superior_key": "k"},
        {"superior_url": "above.example", "superior_key": "k"},
        {"federation_keys": "440300"},
        {"federation_keys": "440300=k1,=k2"},
    ],
)
async def test_half_a_federation_setting_refuses_to_start(
    sessions: async_sessionmaker[AsyncSession], settings: dict[str, str], tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="NETALARM_"):
        await worker.start(Settings(**settings), sessions, LocalStorage(tmp_path))  # type: ignore[arg-type]


def test_a_streamed_file_is_signed_by_its_hash_and_its_query_is_signed_too() -> None:
    path = "/api/v1/federation/escalations/f/media/m?filename=a.jpg&kind=image&size=3"
    digest = hashlib.sha256(b"abc").hexdigest()
    sent = signing.headers("440300", "k1", "PUT", path, body_sha256=digest, now=1000)
    assert sent[signing.BODY_SHA256] == digest
    assert signing.verify_digest({"440300": "k1"}, sent, "PUT", path, digest, now=1000) == "440300"
    renamed = path.replace("a.jpg", "b.jpg")
    other = hashlib.sha256(b"abd").hexdigest()
    for wrong_path, wrong_digest in ((renamed, digest), (path, other)):
        with pytest.raises(Unauthorized) as refused:
            signing.verify_digest({"440300": "k1"}, sent, "PUT", wrong_path, wrong_digest, now=1000)
        assert refused.value.field == signing.SIGNATURE


def test_the_subordinates_keys_are_read_by_name() -> None:
    keys = Settings(federation_keys=" 440300=k1 , 440100=k=2 ").subordinate_keys()
    assert keys == {"440300": "k1", "440100": "k=2"}
