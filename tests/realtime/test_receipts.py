"""Delivered and read receipts: only the receiving side acknowledges, each receipt is
stamped once and recorded on the timeline (so both sides are told), and fetching a
conversation delivers what it shows."""

from __future__ import annotations

import secrets

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.core.errors import Conflict
from netalarm.messaging import receipts
from netalarm.messaging import service as messaging_service
from netalarm.messaging.models import Message
from netalarm.timeline import service as timeline_service
from tests.support import factories
from tests.support.factories import Tree
from tests.support.http import FUTIAN, raise_alarm, reporter_headers, seat_headers
from tests.support.servers import Server


async def _conversation(session: AsyncSession) -> tuple[Message, Message, list[str]]:
    """A seat message and a reporter message on a fresh alarm, and the timeline types so far."""
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT)
    incident, alarm_id = made.incident, made.alarm.id
    seat = await messaging_service.post(
        session,
        incident=incident,
        alarm_id=alarm_id,
        sender="seat",
        actor=t.a_seat.actor,
        text="are you safe?",
        media_ids=[],
        seat_username="a",
    )
    reporter = await messaging_service.post(
        session,
        incident=incident,
        alarm_id=alarm_id,
        sender="reporter",
        actor="reporter:x",
        text="yes",
        media_ids=[],
    )
    return seat, reporter, await _types(session, made.incident.id)


async def _types(session: AsyncSession, incident_id: object) -> list[str]:
    return [e.type for e in await timeline_service.entries(session, incident_id)]  # type: ignore[arg-type]


async def test_a_message_is_delivered_once_and_the_receipt_is_on_the_timeline(session: AsyncSession) -> None:
    seat_message, _, before = await _conversation(session)
    assert await receipts.mark_delivered(session, seat_message, by="reporter", actor="reporter:x")
    stamped = seat_message.delivered_at
    assert stamped is not None and seat_message.read_at is None
    assert not await receipts.mark_delivered(session, seat_message, by="reporter", actor="reporter:x")
    assert seat_message.delivered_at == stamped
    entries = await timeline_service.entries(session, seat_message.incident_id)
    assert [e.type for e in entries] == [*before, "message_delivered"]
    assert entries[-1].data["message_id"] == str(seat_message.id) and entries[-1].data["by"] == "reporter"


async def test_reading_delivers_too_and_reading_again_changes_nothing(session: AsyncSession) -> None:
    _, reporter_message, before = await _conversation(session)
    assert await receipts.mark_read(session, reporter_message, by="seat", actor="seat:a")
    assert reporter_message.delivered_at is not None and reporter_message.read_at is not None
    assert not await receipts.mark_read(session, reporter_message, by="seat", actor="seat:a")
    assert await _types(session, reporter_message.incident_id) == [
        *before,
        "message_delivered",
        "message_read",
    ]


async def test_a_sender_cannot_acknowledge_its_own_message(session: AsyncSession) -> None:
    seat_message, reporter_message, before = await _conversation(session)
    with pytest.raises(Conflict) as own:
        await receipts.mark_read(session, seat_message, by="seat", actor="seat:a")
    assert own.value.code == "own_message"
    with pytest.raises(Conflict):
        await receipts.mark_delivered(session, reporter_message, by="reporter", actor="reporter:x")
    assert await _types(session, seat_message.incident_id) == before


async def test_fetching_delivers_only_what_the_other_side_sent(session: AsyncSession) -> None:
    seat_message, reporter_message, _ = await _conversation(session)
    assert (
        await receipts.deliver_all(session, [seat_message, reporter_message], by="seat", actor="seat:a") == 1
    )
    assert reporter_message.delivered_at is not None and seat_message.delivered_at is None


def test_a_reporter_fetching_the_chat_delivers_the_seats_messages(demo_server: Server) -> None:
    alarm = raise_alarm(demo_server.url, FUTIAN)
    with httpx.Client(base_url=demo_server.url, headers=seat_headers(demo_server.url, "futian.net")) as seat:
        posted = seat.post(
            f"/api/v1/incidents/{alarm['incident_id']}/messages", json={"text": "hello"}
        ).json()
        assert posted["delivered_at"] is None
        fetched = httpx.get(
            f"{demo_server.url}/api/v1/alarms/{alarm['id']}/messages", headers=reporter_headers(alarm)
        ).json()
        assert fetched[0]["delivered_at"] is not None and fetched[0]["read_at"] is None
        timeline = seat.get(f"/api/v1/incidents/{alarm['incident_id']}/timeline").json()
        assert [e["type"] for e in timeline][-1] == "message_delivered"


@pytest.mark.parametrize(
    ("message", "status", "field"),
    [("not-an-id", 422, "message_id"), ("01a2146e-501d-7007-af10-13a21c5f16dd", 404, "message_id")],
)
def test_reading_a_message_that_is_not_there_is_refused(
    demo_server: Server, message: str, status: int, field: str
) -> None:
    alarm = raise_alarm(demo_server.url, FUTIAN)
    for url, headers in (
        (f"/api/v1/alarms/{alarm['id']}/messages/{message}/read", reporter_headers(alarm)),
        (
            f"/api/v1/incidents/{alarm['incident_id']}/messages/{message}/read",
            seat_headers(demo_server.url, "futian.net"),
        ),
    ):
        answer = httpx.post(demo_server.url + url, headers=headers)
        assert answer.status_code == status, answer.text
        assert answer.json()["error"]["field"] == field


def test_a_reporter_cannot_read_a_message_of_someone_elses_alarm(demo_server: Server) -> None:
    mine, theirs = raise_alarm(demo_server.url, FUTIAN), raise_alarm(demo_server.url, FUTIAN)
    headers = seat_headers(demo_server.url, "futian.net")
    posted = httpx.post(
        f"{demo_server.url}/api/v1/incidents/{theirs['incident_id']}/messages",
        json={"text": secrets.token_hex(4)},
        headers=headers,
    ).json()
    answer = httpx.post(
        f"{demo_server.url}/api/v1/alarms/{mine['id']}/messages/{posted['id']}/read",
        headers=reporter_headers(mine),
    )
    assert answer.status_code == 404
