"""Reporter-side HTTP: intake, idempotency, status, positions, chat, and every bad input."""

from __future__ import annotations

import asyncio
import re
import secrets
from typing import Any

import httpx
import pytest

from tests.support.http import (
    BAOAN,
    FUTIAN,
    LUOHU,
    NANSHAN,
    raise_alarm,
    reporter_headers,
    reporter_post,
    seat_headers,
)
from tests.support.servers import Server


def test_an_alarm_is_acknowledged_with_ids_case_number_and_token(demo_server: Server) -> None:
    alarm = raise_alarm(demo_server.url, FUTIAN, category="violence", description="有人打架")
    assert set(alarm) >= {"id", "incident_id", "case_number", "status", "reporter_token"}
    assert alarm["status"] == "received"
    assert re.fullmatch(r"440304-\d{8}-\d{6}", alarm["case_number"])


@pytest.mark.parametrize(
    ("point", "centre"),
    [(FUTIAN, "440304"), (LUOHU, "440303"), (NANSHAN, "440305"), (BAOAN, "440300"), (None, "440300")],
)
def test_alarms_route_to_the_district_that_holds_them(
    demo_server: Server, point: tuple[float, float] | None, centre: str
) -> None:
    alarm = raise_alarm(demo_server.url, point)
    assert alarm["case_number"].startswith(centre + "-")


def test_the_reporter_reads_status_posts_positions_and_chats(demo_server: Server) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, silent=True)
    mine = reporter_headers(alarm)
    status = httpx.get(f"{base}/api/v1/alarms/{alarm['id']}", headers=mine)
    assert (
        status.status_code == 200
        and status.json()["status"] == "received"
        and status.json()["silent"] is True
    )
    moved = httpx.post(
        f"{base}/api/v1/alarms/{alarm['id']}/locations",
        json={"lat": 22.5440, "lon": 114.0590, "accuracy_m": 8, "source": "gps"},
        headers=mine,
    )
    assert moved.status_code == 201
    sent = httpx.post(
        f"{base}/api/v1/alarms/{alarm['id']}/messages", json={"text": "I am hiding"}, headers=mine
    )
    assert sent.status_code == 201 and sent.json()["from"] == "reporter"
    seat = seat_headers(base, "futian.net")
    incident = httpx.get(f"{base}/api/v1/incidents/{alarm['incident_id']}", headers=seat).json()
    assert incident["location"]["lat"] == pytest.approx(22.5440)
    reply = httpx.post(
        f"{base}/api/v1/incidents/{alarm['incident_id']}/messages",
        json={"text": "Stay where you are"},
        headers=seat,
    )
    assert reply.status_code == 201
    chat = httpx.get(f"{base}/api/v1/alarms/{alarm['id']}/messages", headers=mine).json()
    assert [(m["from"], m["text"]) for m in chat] == [
        ("reporter", "I am hiding"),
        ("seat", "Stay where you are"),
    ]
    trail = httpx.get(f"{base}/api/v1/incidents/{alarm['incident_id']}/locations", headers=seat).json()
    assert [p["lat"] for p in trail] == [pytest.approx(22.5440)]


async def _say_at_once(
    base: str, alarm: dict[str, Any], body: dict[str, Any], n: int
) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base, headers=reporter_headers(alarm)) as client:
        return await asyncio.gather(
            *(client.post(f"/api/v1/alarms/{alarm['id']}/messages", json=body) for _ in range(n))
        )


def test_a_reporters_message_sent_again_with_its_key_is_the_message_sent_first(demo_server: Server) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, silent=True)
    other = raise_alarm(base, FUTIAN, silent=True)
    url = f"{base}/api/v1/alarms/{alarm['id']}/messages"
    body = {"text": "Attachment big.jpg", "idempotency_key": "chat-0123456789"}

    first = httpx.post(url, json=body, headers=reporter_headers(alarm))
    again = httpx.post(url, json={**body, "text": "changed"}, headers=reporter_headers(alarm))
    burst = asyncio.run(_say_at_once(base, alarm, {**body, "idempotency_key": "chat-burst-42"}, 8))
    elsewhere = httpx.post(
        f"{base}/api/v1/alarms/{other['id']}/messages", json=body, headers=reporter_headers(other)
    )
    bad = httpx.post(url, json={**body, "idempotency_key": "no spaces"}, headers=reporter_headers(alarm))

    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    assert sorted(a.status_code for a in burst) == [200] * 7 + [201]
    assert len({a.json()["id"] for a in burst}) == 1
    assert elsewhere.status_code == 201 and elsewhere.json()["id"] != first.json()["id"]
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "idempotency_key"
    chat = httpx.get(url, headers=reporter_headers(alarm)).json()
    assert [m["text"] for m in chat] == ["Attachment big.jpg", "Attachment big.jpg"]


def _tap(
    base: str, alarm: dict[str, Any], category: str, as_of: dict[str, Any] | None = None
) -> httpx.Response:
    return reporter_post(base, alarm, "category", {"category": category}, as_of=as_of)


def test_a_reporters_tap_sets_the_category_until_a_seat_takes_the_incident(demo_server: Server) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, silent=True)
    seat = seat_headers(base, "futian.net")
    incident_url = f"{base}/api/v1/incidents/{alarm['incident_id']}"
    assert _tap(base, alarm, "violence").json() == {"category": "violence", "applied": True}
    assert _tap(base, alarm, "robbery_theft").json()["applied"] is True  # the reporter corrects the tap
    assert httpx.get(incident_url, headers=seat).json()["category"] == "robbery_theft"
    timeline = httpx.get(f"{incident_url}/timeline", headers=seat).json()
    stated = [e for e in timeline if e["type"] == "classified"]
    assert [e["data"]["to"] for e in stated] == [{"category": "violence"}, {"category": "robbery_theft"}]
    assert all(e["actor"].startswith("reporter:") for e in stated)
    assert httpx.post(f"{incident_url}/actions/accept", json={}, headers=seat).status_code == 200
    assert _tap(base, alarm, "fraud").json() == {"category": "fraud", "applied": False}
    assert httpx.get(incident_url, headers=seat).json()["category"] == "robbery_theft"


def test_a_seats_classification_is_never_overruled_by_a_tap(demo_server: Server) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, silent=True)
    seat = seat_headers(base, "futian.net")
    incident_url = f"{base}/api/v1/incidents/{alarm['incident_id']}"
    assert httpx.patch(incident_url, json={"category": "fire"}, headers=seat).status_code == 200
    assert _tap(base, alarm, "violence").json()["applied"] is False
    assert httpx.get(incident_url, headers=seat).json()["category"] == "fire"


def test_a_tap_with_a_bad_category_someone_elses_token_or_on_a_closed_case_is_refused(
    demo_server: Server,
) -> None:
    base = demo_server.url
    alarm, other = raise_alarm(base, FUTIAN, silent=True), raise_alarm(base, FUTIAN)
    bad = _tap(base, alarm, "alien_invasion")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "category"
    assert _tap(base, alarm, "violence", as_of=other).status_code == 404
    seat = seat_headers(base, "futian.net")
    closed = httpx.post(
        f"{base}/api/v1/incidents/{alarm['incident_id']}/actions/close",
        json={"disposition": "test"},
        headers=seat,
    )
    assert closed.status_code == 200, closed.text
    assert _tap(base, alarm, "violence").status_code == 409


def test_another_reporters_token_gets_not_found_and_a_forged_token_401(demo_server: Server) -> None:
    base = demo_server.url
    mine, theirs = raise_alarm(base, FUTIAN), raise_alarm(base, FUTIAN)
    assert (
        httpx.get(f"{base}/api/v1/alarms/{mine['id']}", headers=reporter_headers(theirs)).status_code == 404
    )
    forged = {"Authorization": "Bearer " + mine["reporter_token"][:-3] + "abc"}
    answer = httpx.get(f"{base}/api/v1/alarms/{mine['id']}", headers=forged)
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"
    assert httpx.get(f"{base}/api/v1/alarms/{mine['id']}").status_code == 401


def test_the_same_request_again_gets_the_same_answer_and_its_reporter_too(demo_server: Server) -> None:
    url = f"{demo_server.url}/api/v1/alarms"
    body = {
        "idempotency_key": f"retry-{secrets.token_hex(6)}",
        "description": "first",
        "location": {"lat": FUTIAN[0], "lon": FUTIAN[1]},
    }
    first = httpx.post(url, json=body)
    again = httpx.post(url, json=body)  # a retry whose answer was lost
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    amended = httpx.post(url, json={**body, "description": "second"}, headers=reporter_headers(first.json()))
    assert amended.status_code == 200 and amended.json() == first.json()


def test_a_guessed_key_gives_away_nothing_of_the_alarm_it_names(demo_server: Server) -> None:
    url = f"{demo_server.url}/api/v1/alarms"
    key = f"guess-{secrets.token_hex(6)}"
    victim = httpx.post(
        url, json={"idempotency_key": key, "silent": True, "location": {"lat": 22.5431, "lon": 114.0579}}
    )
    assert victim.status_code == 201
    guessed = httpx.post(url, json={"idempotency_key": key})
    assert guessed.status_code == 409, guessed.text
    error = guessed.json()["error"]
    assert (error["code"], error["field"]) == ("idempotency_key_reused", "idempotency_key")
    assert victim.json()["reporter_token"] not in guessed.text and victim.json()["id"] not in guessed.text
    other = httpx.post(url, json={"idempotency_key": "spare-key-0001"})
    assert other.status_code == 201
    stranger = httpx.post(url, json={"idempotency_key": key}, headers=reporter_headers(other.json()))
    assert stranger.status_code == 409  # another reporter's token is no better than none


@pytest.mark.parametrize(
    "key", ["sms:gw-2001", "sms-h:" + "0" * 64, "link:0191a2b3-0000-7000-8000-000000000000"]
)
def test_the_servers_own_key_prefixes_are_refused_on_the_public_intake(demo_server: Server, key: str) -> None:
    refused = httpx.post(f"{demo_server.url}/api/v1/alarms", json={"idempotency_key": key})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "idempotency_key"


async def _fifty_at_once(base: str, key: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        answers = await asyncio.gather(
            *(client.post("/api/v1/alarms", json={"idempotency_key": key, "silent": True}) for _ in range(50))
        )
    assert all(a.status_code in (200, 201) for a in answers), [
        a.text for a in answers if a.status_code >= 300
    ]
    assert sum(a.status_code == 201 for a in answers) == 1
    return [a.json() for a in answers]


@pytest.mark.parametrize("server", ["demo_server", "pg_demo_server"])
def test_fifty_identical_submissions_at_once_give_one_alarm(
    request: pytest.FixtureRequest, server: str
) -> None:
    base = request.getfixturevalue(server).url
    answers = asyncio.run(_fifty_at_once(base, f"burst-{server}"))
    assert len({a["id"] for a in answers}) == 1 and len({a["reporter_token"] for a in answers}) == 1
    seat = seat_headers(base, "shenzhen.net")
    listed = httpx.get(f"{base}/api/v1/incidents", params={"limit": 500}, headers=seat).json()
    assert sum(answers[0]["id"] in i["alarm_ids"] for i in listed) == 1


BAD_BODIES: list[tuple[Any, int, str | None]] = [
    ({"category": "fire"}, 422, "idempotency_key"),
    ({"idempotency_key": "k-12345678", "nonsense": 1}, 422, "nonsense"),
    ({"idempotency_key": "k-12345678", "location": {"lat": 90.5, "lon": 0}}, 422, "location.lat"),
    ({"idempotency_key": "k-12345678", "location": {"lat": 0, "lon": -180.1}}, 422, "location.lon"),
    (
        {"idempotency_key": "k-12345678", "location": {"lat": 0, "lon": 0, "accuracy_m": -1}},
        422,
        "location.accuracy_m",
    ),
    (
        {"idempotency_key": "k-12345678", "location": {"lat": 0, "lon": 0, "source": "psychic"}},
        422,
        "location.source",
    ),
    ({"idempotency_key": "k-12345678", "description": "x" * 10_001}, 422, "description"),
    ({"idempotency_key": "k-12345678", "reporter": {"phone": "12"}}, 422, "reporter.phone"),
    (
        {"idempotency_key": "k-12345678", "reporter": {"id_number": "110105194912310021"}},
        422,
        "reporter.id_number",
    ),
    ({"idempotency_key": "k-12345678", "category": "alien"}, 422, "category"),
    ({"idempotency_key": "k-12345678", "silent": "maybe"}, 422, "silent"),
    ({"idempotency_key": "short"}, 422, "idempotency_key"),
    ([1, 2, 3], 422, None),
]


@pytest.mark.parametrize(("body", "status", "field"), BAD_BODIES)
def test_bad_input_gets_a_clear_error_and_writes_nothing(
    demo_server: Server, body: Any, status: int, field: str | None
) -> None:
    seat = seat_headers(demo_server.url, "shenzhen.net")
    before = httpx.get(f"{demo_server.url}/api/v1/incidents", headers=seat).headers["X-Total-Count"]
    answer = httpx.post(f"{demo_server.url}/api/v1/alarms", json=body)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] and error["message"]
    if field:
        assert error["field"] == field
    assert httpx.get(f"{demo_server.url}/api/v1/incidents", headers=seat).headers["X-Total-Count"] == before


@pytest.mark.parametrize("raw", [b"{", b"not json", b'{"idempotency_key": "abcdefgh",}', b"\xff\xfe"])
def test_malformed_json_is_a_400_naming_the_problem(demo_server: Server, raw: bytes) -> None:
    answer = httpx.post(
        f"{demo_server.url}/api/v1/alarms", content=raw, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "malformed_json"


def test_an_empty_body_is_refused_saying_a_body_is_required(demo_server: Server) -> None:
    answer = httpx.post(
        f"{demo_server.url}/api/v1/alarms", content=b"", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 422
    assert answer.json()["error"] == {"code": "invalid", "message": "a JSON body is required", "field": None}


def test_an_alarm_sent_as_plain_text_json_is_taken(demo_server: Server) -> None:
    # What `navigator.sendBeacon` sends for a string: a page being closed can still raise the alarm.
    answer = httpx.post(
        f"{demo_server.url}/api/v1/alarms",
        content=b'{"idempotency_key": "beacon-12345678", "silent": true}',
        headers={"Content-Type": "text/plain;charset=UTF-8"},
    )
    assert answer.status_code == 201 and answer.json()["status"] == "received"
