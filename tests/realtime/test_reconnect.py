"""Dropped connections: a client resumes from the last event id it saw and receives what it
missed, in order, then live events; bad cursors and credentials are refused before the upgrade."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.realtime.conftest import Pair
from tests.support.http import FUTIAN, LUOHU, raise_alarm, reporter_headers, seat_headers
from tests.support.push import Push, login, of, ws_url


async def test_a_seat_reconnecting_with_a_cursor_gets_what_it_missed_in_order_then_live(pair: Pair) -> None:
    seat = await Push.seat(pair.b.url, "shenzhen.net")
    first = raise_alarm(pair.a.url, FUTIAN)
    cursor = await seat.expect(of("alarm_received", alarm_id=first["id"]))
    await seat.close()
    # While the seat is away: two alarms and a chat message, on both processes.
    missed = [raise_alarm(pair.a.url, LUOHU), raise_alarm(pair.b.url, FUTIAN)]
    headers = seat_headers(pair.a.url, "futian.net")
    async with httpx.AsyncClient(headers=headers) as http:
        answer = await http.post(
            f"{pair.a.url}/api/v1/incidents/{missed[1]['incident_id']}/messages", json={"text": "we see you"}
        )
    assert answer.status_code == 201, answer.text
    back = await Push.seat(pair.a.url, "shenzhen.net", after=cursor["id"])
    try:
        await back.expect(of("message", message__id=answer.json()["id"]))
        replayed = [(e["type"], e["incident_id"]) for e in back.events]
        assert replayed == [
            ("alarm_received", missed[0]["incident_id"]),
            ("alarm_received", missed[1]["incident_id"]),
            ("message", missed[1]["incident_id"]),
        ]
        assert cursor["id"] not in [e["id"] for e in back.events]
        live = raise_alarm(pair.b.url, FUTIAN)
        await back.expect(of("alarm_received", alarm_id=live["id"]))
        ids = [e["id"] for e in back.events]
        assert len(ids) == len(set(ids))
    finally:
        await back.close()


async def test_a_reporter_resumes_too_and_sees_only_what_is_theirs(pair: Pair) -> None:
    alarm = raise_alarm(pair.a.url, FUTIAN)
    other = raise_alarm(pair.a.url, FUTIAN)
    reporter = await Push.reporter(pair.a.url, alarm)
    headers = seat_headers(pair.b.url, "futian.net")
    async with httpx.AsyncClient(headers=headers) as http:
        base = f"{pair.b.url}/api/v1/incidents"
        await http.post(f"{base}/{alarm['incident_id']}/actions/accept", json={})
        cursor = await reporter.expect(of("accepted"))
        assert cursor["data"] == {"status": "accepted"}
        await reporter.close()
        await http.post(f"{base}/{other['incident_id']}/actions/accept", json={})
        await http.post(f"{base}/{alarm['incident_id']}/actions/dispatch", json={"note": "car 7, plate Y123"})
        await http.post(f"{base}/{alarm['incident_id']}/messages", json={"text": "car 7 is coming"})
    back = await Push.reporter(pair.b.url, alarm, after=cursor["id"])
    try:
        await back.expect(of("message", message__text="car 7 is coming"))
        assert [e["type"] for e in back.events] == ["dispatched", "message"]
        assert back.events[0]["data"] == {"status": "dispatched"}  # the seat's note stays with seats
    finally:
        await back.close()


async def test_server_sent_events_carry_the_same_frames_and_resume_from_last_event_id(pair: Pair) -> None:
    alarm = raise_alarm(pair.a.url, FUTIAN)
    seat = httpx.AsyncClient(headers=seat_headers(pair.a.url, "futian.net"), timeout=10)
    reporter = httpx.AsyncClient(headers=reporter_headers(alarm), timeout=10)
    messages = f"{pair.a.url}/api/v1/incidents/{alarm['incident_id']}/messages"
    try:
        async with reporter.stream("GET", f"{pair.b.url}/api/v1/alarms/{alarm['id']}/events") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            frames = _sse_frames(response)
            assert (await anext(frames))[1]["type"] == "hello"
            await seat.post(messages, json={"text": "first"})
            cursor, frame = await _next_event(frames, "message")
            assert cursor == frame["id"] and frame["data"]["message"]["text"] == "first"
        for text in ("second", "third"):
            await seat.post(messages, json={"text": text})
        resumed = {"Last-Event-ID": str(cursor)}
        url = f"{pair.a.url}/api/v1/alarms/{alarm['id']}/events"
        async with reporter.stream("GET", url, headers=resumed) as response:
            frames = _sse_frames(response)
            texts = [(await _next_event(frames, "message"))[1]["data"]["message"]["text"] for _ in range(2)]
            assert texts == ["second", "third"]
    finally:
        await seat.aclose()
        await reporter.aclose()


async def _sse_frames(response: httpx.Response) -> Any:
    event_id = None
    data: list[str] = []
    async for line in response.aiter_lines():
        if line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and data:
            yield event_id, json.loads("\n".join(data))
            event_id, data = None, []


async def _next_event(frames: Any, type: str) -> tuple[str | None, dict[str, Any]]:
    while True:
        event_id, frame = await anext(frames)
        if frame["type"] == type:
            return event_id, frame


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("", 401, "authorization"),
        ("?access_token=not-a-token", 401, None),
        ("?access_token={token}&after=not-an-id", 422, "after"),
        ("?access_token={token}&after=01a2146e-501d-7007-af10-13a21c5f16dd", 422, "after"),
    ],
)
async def test_a_seat_socket_is_refused_with_a_json_error_before_the_upgrade(
    pair: Pair, query: str, status: int, field: str | None
) -> None:
    url = (
        pair.b.url.replace("http://", "ws://")
        + "/api/v1/seat/ws"
        + query.format(token=login(pair.b.url, "futian.net"))
    )
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(url, open_timeout=5)
    assert refused.value.response.status_code == status
    body = json.loads(refused.value.response.body or b"{}")
    assert body["error"]["field"] == field


async def test_a_reporter_cannot_listen_to_someone_elses_alarm(pair: Pair) -> None:
    mine, theirs = raise_alarm(pair.a.url, FUTIAN), raise_alarm(pair.a.url, FUTIAN)
    url = ws_url(pair.a.url, f"/api/v1/alarms/{theirs['id']}/ws", mine["reporter_token"])
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(url, open_timeout=5)
    assert refused.value.response.status_code == 404
