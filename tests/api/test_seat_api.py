"""Seat-side HTTP: sign-in, listing, actions, timeline, identity reads, least privilege."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import httpx
import pytest

from tests.support.http import FUTIAN, LUOHU, NANSHAN, raise_alarm, reporter_headers, seat_headers
from tests.support.servers import Server


def test_login_returns_a_bearer_and_the_seat(demo_server: Server) -> None:
    answer = httpx.post(
        f"{demo_server.url}/api/v1/auth/login", json={"username": "futian.net", "password": "demo-pass-110"}
    )
    body = answer.json()
    assert answer.status_code == 200 and body["token_type"] == "bearer" and body["access_token"]
    assert body["seat"] == {
        "username": "futian.net",
        "role": "network",
        "centre": "440304",
        "name": "futian.net",
    }


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "futian.net", "password": "wrong-password"},
        {"username": "nobody", "password": "demo-pass-110"},
    ],
)
def test_wrong_credentials_get_one_401(demo_server: Server, credentials: dict[str, str]) -> None:
    answer = httpx.post(f"{demo_server.url}/api/v1/auth/login", json=credentials)
    assert answer.status_code == 401
    assert answer.json()["error"]["message"] == "wrong username or password"


@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic abc"])
def test_seat_endpoints_refuse_missing_or_unknown_tokens(demo_server: Server, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    answer = httpx.get(f"{demo_server.url}/api/v1/incidents", headers=headers)
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"


def test_a_reporter_token_is_not_a_seat_token(demo_server: Server) -> None:
    alarm = raise_alarm(demo_server.url, FUTIAN)
    answer = httpx.get(
        f"{demo_server.url}/api/v1/incidents/{alarm['incident_id']}", headers=reporter_headers(alarm)
    )
    assert answer.status_code == 401


def test_the_closed_loop_over_http_with_a_verifiable_timeline(demo_server: Server) -> None:
    base, seat = demo_server.url, seat_headers(demo_server.url, "futian.net")
    alarm = raise_alarm(base, FUTIAN, category="robbery_theft")
    incident = f"{base}/api/v1/incidents/{alarm['incident_id']}"
    steps = [
        ("accept", {}, "accepted"),
        ("dispatch", {"note": "patrol 12", "priority": "P1"}, "dispatched"),
        ("resolve", {"outcome": "wallet recovered"}, "resolved"),
        ("close", {"disposition": "handled"}, "closed"),
    ]
    for action, body, status in steps:
        answer = httpx.post(f"{incident}/actions/{action}", json=body, headers=seat)
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == status
    final = httpx.get(incident, headers=seat).json()
    assert (final["priority"], final["accepted_by"], final["disposition"]) == ("P1", "futian.net", "handled")
    reporter_view = httpx.get(f"{base}/api/v1/alarms/{alarm['id']}", headers=reporter_headers(alarm)).json()
    assert reporter_view["status"] == "closed" and reporter_view["closed_at"]
    timeline = httpx.get(f"{incident}/timeline", headers=seat).json()
    assert [e["type"] for e in timeline] == [
        "alarm_received",
        "accepted",
        "classified",
        "dispatched",
        "resolved",
        "closed",
    ]
    assert all(set(e) == {"seq", "at", "actor", "type", "data", "prev_hash", "hash"} for e in timeline)
    verify = httpx.get(f"{incident}/timeline/verify", headers=seat).json()
    assert verify == {"ok": True, "entries": 6, "first_broken": None}


def test_the_timeline_in_plain_words_comes_in_the_language_asked_for(demo_server: Server) -> None:
    base, seat = demo_server.url, seat_headers(demo_server.url, "futian.net")
    alarm = raise_alarm(base, FUTIAN, category="fire")
    incident = f"{base}/api/v1/incidents/{alarm['incident_id']}"
    httpx.post(f"{incident}/actions/accept", json={}, headers=seat).raise_for_status()
    english = httpx.get(f"{incident}/timeline", params={"lang": "en"}, headers=seat).json()
    chinese = httpx.get(f"{incident}/timeline", params={"lang": "zh"}, headers=seat).json()
    assert english[0]["words"].startswith("Alarm received through web: category fire, priority P1")
    assert english[1]["words"].startswith("Accepted by seat futian.net after ")
    assert [e["who"] for e in english] == ["reporter", "seat futian.net"]
    assert [e["who"] for e in chinese] == ["报警人", "坐席 futian.net"]
    assert chinese[0]["words"].startswith("通过网页收到报警：类别 火灾，优先级 P1")
    assert chinese[1]["words"].startswith("坐席 futian.net 受理")
    # The words ride beside the record; the record and its hashes are the same in both.
    plain = ("who", "words")
    strip = [[{k: v for k, v in e.items() if k not in plain} for e in t] for t in (english, chinese)]
    assert strip[0] == strip[1] == httpx.get(f"{incident}/timeline", headers=seat).json()
    refused = httpx.get(f"{incident}/timeline", params={"lang": "fr"}, headers=seat)
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "lang"


def test_an_illegal_transition_is_409_and_changes_nothing(demo_server: Server) -> None:
    base, seat = demo_server.url, seat_headers(demo_server.url, "futian.net")
    alarm = raise_alarm(base, FUTIAN)
    incident = f"{base}/api/v1/incidents/{alarm['incident_id']}"
    before = httpx.get(incident, headers=seat).json()
    for action, body in (("dispatch", {"note": "x", "priority": "P4"}), ("resolve", {"outcome": "x"})):
        answer = httpx.post(f"{incident}/actions/{action}", json=body, headers=seat)
        assert answer.status_code == 409 and answer.json()["error"]["code"] == "illegal_transition"
    assert httpx.get(incident, headers=seat).json() == before
    assert len(httpx.get(f"{incident}/timeline", headers=seat).json()) == 1


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("close", {"disposition": "bored"}, "disposition"),
        ("transfer", {}, "centre"),
        ("transfer", {"centre": "999999"}, "centre"),
        ("merge", {"into": "not-a-uuid"}, "into"),
        ("accept", {"priority": "P0"}, "priority"),
        ("accept", {"surprise": True}, "surprise"),
    ],
)
def test_bad_action_bodies_name_the_field(
    demo_server: Server, action: str, body: dict[str, object], field: str
) -> None:
    base, seat = demo_server.url, seat_headers(demo_server.url, "futian.net")
    alarm = raise_alarm(base, FUTIAN)
    answer = httpx.post(
        f"{base}/api/v1/incidents/{alarm['incident_id']}/actions/{action}", json=body, headers=seat
    )
    assert 400 <= answer.status_code < 500 and answer.json()["error"]["field"] == field


def test_unknown_actions_and_ids_are_4xx(demo_server: Server) -> None:
    base, seat = demo_server.url, seat_headers(demo_server.url, "futian.net")
    alarm = raise_alarm(base, FUTIAN)
    assert (
        httpx.post(
            f"{base}/api/v1/incidents/{alarm['incident_id']}/actions/explode", headers=seat
        ).status_code
        == 422
    )
    assert httpx.get(f"{base}/api/v1/incidents/not-an-id", headers=seat).status_code == 422
    missing = "01900000-0000-7000-8000-000000000000"
    assert httpx.get(f"{base}/api/v1/incidents/{missing}", headers=seat).status_code == 404


def test_a_sibling_district_sees_nothing_of_the_incident(demo_server: Server) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN)
    luohu = seat_headers(base, "luohu.net")
    for path in ("", "/timeline", "/timeline/verify", "/messages", "/reporter", "/locations"):
        answer = httpx.get(f"{base}/api/v1/incidents/{alarm['incident_id']}{path}", headers=luohu)
        assert answer.status_code == 404, path
    assert (
        httpx.post(
            f"{base}/api/v1/incidents/{alarm['incident_id']}/actions/accept", headers=luohu
        ).status_code
        == 404
    )
    listed = httpx.get(f"{base}/api/v1/incidents", params={"limit": 500}, headers=luohu).json()
    assert alarm["incident_id"] not in {i["id"] for i in listed}
    assert (
        httpx.get(f"{base}/api/v1/incidents", params={"centre": "440304"}, headers=luohu).status_code == 404
    )
    city = seat_headers(base, "shenzhen.sup")
    assert httpx.get(f"{base}/api/v1/incidents/{alarm['incident_id']}", headers=city).status_code == 200


def test_reading_the_reporters_identity_is_recorded_on_the_timeline(demo_server: Server) -> None:
    base, seat = demo_server.url, seat_headers(demo_server.url, "futian.sup")
    alarm = raise_alarm(base, FUTIAN, reporter={"name": "王芳", "phone": "+86 139 0000 0000"})
    incident = f"{base}/api/v1/incidents/{alarm['incident_id']}"
    # The incident says whether a phone was given and verified, never the number nor the name.
    seen = httpx.get(incident, headers=seat).json()
    assert "13900000000" not in str(seen) and "王芳" not in str(seen)
    assert (seen["reporter"]["phone_given"], seen["reporter"]["phone_verified"]) == (True, False)
    identity = httpx.get(f"{incident}/reporter", headers=seat).json()
    assert (identity["name"], identity["phone"]) == ("王芳", "+8613900000000")
    last = httpx.get(f"{incident}/timeline", headers=seat).json()[-1]
    assert (last["type"], last["actor"]) == ("identity_viewed", "seat:futian.sup")


def test_listing_filters_by_status_priority_and_centre(demo_server: Server) -> None:
    base, city = demo_server.url, seat_headers(demo_server.url, "shenzhen.net")
    fire = raise_alarm(base, LUOHU, category="fire")
    fraud = raise_alarm(base, LUOHU, category="fraud")
    listed = httpx.get(
        f"{base}/api/v1/incidents", params={"centre": "440303", "priority": "P1"}, headers=city
    ).json()
    ids = {i["id"] for i in listed}
    assert fire["incident_id"] in ids and fraud["incident_id"] not in ids
    page = httpx.get(f"{base}/api/v1/incidents", params={"limit": 1}, headers=city)
    assert len(page.json()) == 1 and int(page.headers["X-Total-Count"]) >= 2
    assert httpx.get(f"{base}/api/v1/incidents", params={"status": "lost"}, headers=city).status_code == 422
    assert httpx.get(f"{base}/api/v1/incidents", params={"limit": 0}, headers=city).status_code == 422
    for offset in ("-1", "10000001", "9223372036854775808", "99999999999999999999999"):
        paged = httpx.get(f"{base}/api/v1/incidents", params={"offset": offset}, headers=city)
        assert paged.status_code == 422 and paged.json()["error"]["field"] == "offset", paged.text


def test_the_queue_order_puts_an_older_p1_first_and_an_unknown_order_names_its_field(
    demo_server: Server,
) -> None:
    base, nanshan = demo_server.url, seat_headers(demo_server.url, "nanshan.net")
    waiting_p1 = raise_alarm(base, NANSHAN, silent=True)
    newer = [raise_alarm(base, NANSHAN, category=c)["incident_id"] for c in ("fraud", "fire", "traffic")]

    def listed(**params: str) -> httpx.Response:
        return httpx.get(f"{base}/api/v1/incidents", params={"status": "received", **params}, headers=nanshan)

    newest = [i["id"] for i in listed().json()]
    assert newest.index(newer[-1]) < newest.index(waiting_p1["incident_id"])
    queue = listed(order="queue").json()
    ranks = [i["priority"] for i in queue]
    assert ranks == sorted(ranks)
    p1s = [i["id"] for i in queue if i["priority"] == "P1"]
    assert p1s.index(waiting_p1["incident_id"]) < p1s.index(newer[1])
    refused = listed(order="oldest")
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "order", refused.text


def test_a_seat_writes_notes_on_the_record_the_reporter_never_sees(demo_server: Server) -> None:
    base, futian = demo_server.url, seat_headers(demo_server.url, "futian.net")
    alarm = raise_alarm(base, FUTIAN)
    notes_url = f"{base}/api/v1/incidents/{alarm['incident_id']}/notes"
    written = httpx.post(notes_url, json={"text": "Unit 12 on scene"}, headers=futian)
    assert written.status_code == 201, written.text
    assert (written.json()["type"], written.json()["data"]["text"]) == ("seat_note", "Unit 12 on scene")
    timeline = httpx.get(
        f"{base}/api/v1/incidents/{alarm['incident_id']}/timeline?lang=en", headers=futian
    ).json()
    assert timeline[-1]["words"] == "Note: Unit 12 on scene"
    assert timeline[-1]["who"] == "seat futian.net"
    for bad in ({"text": ""}, {"text": "x" * 10_001}, {"words": "hi"}, {}):
        refused = httpx.post(notes_url, json=bad, headers=futian)
        assert refused.status_code == 422, refused.text
    luohu = seat_headers(base, "luohu.net")
    assert httpx.post(notes_url, json={"text": "hello"}, headers=luohu).status_code == 404
    assert httpx.post(notes_url, json={"text": "hello"}).status_code == 401
    messages = httpx.get(
        f"{base}/api/v1/alarms/{alarm['id']}/messages", headers=reporter_headers(alarm)
    ).json()
    assert "Unit 12" not in str(messages)


def test_a_seat_searches_its_cases_by_text_and_time_and_bad_bounds_name_their_field(
    demo_server: Server,
) -> None:
    base, luohu = demo_server.url, seat_headers(demo_server.url, "luohu.net")
    word = f"ladder{time.time_ns()}"
    alarm = raise_alarm(base, LUOHU, description=f"Man on a {word.upper()} at the window")
    closed = httpx.post(
        f"{base}/api/v1/incidents/{alarm['incident_id']}/actions/close",
        json={"disposition": "test"},
        headers=luohu,
    )
    assert closed.status_code == 200, closed.text

    def search(**params: str) -> httpx.Response:
        return httpx.get(f"{base}/api/v1/incidents", params=params, headers=luohu)

    assert [i["id"] for i in search(q=word).json()] == [alarm["incident_id"]]
    assert [i["id"] for i in search(q=alarm["case_number"]).json()] == [alarm["incident_id"]]
    created = alarm["created_at"]
    assert search(q=word, since=created).headers["X-Total-Count"] == "1"
    assert search(q=word, until=created).json() == []
    assert search(q=word).json()[0]["status"] == "closed"
    futian = seat_headers(base, "futian.net")
    assert httpx.get(f"{base}/api/v1/incidents", params={"q": word}, headers=futian).json() == []
    for params, field in (({"since": "yesterday"}, "since"), ({"until": "2026-11-27T08:00:00"}, "until")):
        refused = search(**params)
        assert refused.status_code == 422 and refused.json()["error"]["field"] == field, refused.text
    assert search(q="x" * 101).json()["error"]["field"] == "q"


async def _race(base: str, incident_id: str, seats: list[dict[str, str]]) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base) as client:
        return list(
            await asyncio.gather(
                *(client.post(f"/api/v1/incidents/{incident_id}/actions/accept", headers=h) for h in seats)
            )
        )


@pytest.mark.parametrize("server", ["demo_server", "pg_demo_server"])
async def test_two_seats_accepting_at_once_one_wins_the_other_gets_409_naming_the_winner(
    request: pytest.FixtureRequest, server: str
) -> None:
    base = request.getfixturevalue(server).url
    seats = [seat_headers(base, "futian.net"), seat_headers(base, "futian.sup")]
    alarm = raise_alarm(base, FUTIAN)
    answers = await _race(base, alarm["incident_id"], seats)
    assert sorted(a.status_code for a in answers) == [200, 409]
    winner = next(a for a in answers if a.status_code == 200).json()["accepted_by"]
    loser = next(a for a in answers if a.status_code == 409).json()["error"]
    assert loser["accepted_by"] == winner and winner in loser["message"]


def test_transfer_and_merge_over_http(demo_server: Server) -> None:
    base, futian = demo_server.url, seat_headers(demo_server.url, "futian.net")
    first, second = raise_alarm(base, FUTIAN), raise_alarm(base, FUTIAN)
    merged = httpx.post(
        f"{base}/api/v1/incidents/{second['incident_id']}/actions/merge",
        json={"into": first["incident_id"]},
        headers=futian,
    )
    assert merged.status_code == 200 and merged.json()["disposition"] == "duplicate"
    target = httpx.get(f"{base}/api/v1/incidents/{first['incident_id']}", headers=futian).json()
    assert set(target["alarm_ids"]) == {first["id"], second["id"]}
    followed = httpx.get(f"{base}/api/v1/alarms/{second['id']}", headers=reporter_headers(second)).json()
    assert followed["incident_id"] == first["incident_id"]
    moved = httpx.post(
        f"{base}/api/v1/incidents/{first['incident_id']}/actions/transfer",
        json={"centre": "440303"},
        headers=futian,
    )
    assert moved.status_code == 200 and moved.json()["centre"] == "440303"
    assert httpx.get(f"{base}/api/v1/incidents/{first['incident_id']}", headers=futian).status_code == 404
    luohu = seat_headers(base, "luohu.net")
    assert httpx.get(f"{base}/api/v1/incidents/{first['incident_id']}", headers=luohu).status_code == 200


def test_patch_sets_priority_and_category(demo_server: Server) -> None:
    base, seat = demo_server.url, seat_headers(demo_server.url, "futian.net")
    alarm = raise_alarm(base, FUTIAN)
    answer = httpx.patch(
        f"{base}/api/v1/incidents/{alarm['incident_id']}",
        json={"priority": "P2", "category": "traffic"},
        headers=seat,
    )
    assert answer.status_code == 200 and (answer.json()["priority"], answer.json()["category"]) == (
        "P2",
        "traffic",
    )


def test_health_readiness_and_openapi(demo_server: Server) -> None:
    assert httpx.get(f"{demo_server.url}/healthz").json()["ok"] is True
    ready = httpx.get(f"{demo_server.url}/readyz")
    assert ready.status_code == 200 and ready.json()["ok"] is True
    paths = httpx.get(f"{demo_server.url}/openapi.json").json()["paths"]
    for path in ("/api/v1/alarms", "/api/v1/incidents/{incident_id}/actions/{action}", "/api/v1/auth/login"):
        assert path in paths


def test_the_sla_clock_starts_at_creation_and_restarts_when_the_case_is_handed_over(
    demo_server: Server,
) -> None:
    base, futian = demo_server.url, seat_headers(demo_server.url, "futian.net")
    alarm = raise_alarm(base, FUTIAN)
    url = f"{base}/api/v1/incidents/{alarm['incident_id']}"
    fresh = httpx.get(url, headers=futian).json()
    assert fresh["sla_started_at"] == fresh["created_at"]
    listed = httpx.get(f"{base}/api/v1/incidents?status=received&limit=500", headers=futian).json()
    assert next(i for i in listed if i["id"] == alarm["incident_id"])["sla_started_at"] == fresh["created_at"]

    time.sleep(0.05)
    moved = httpx.post(f"{url}/actions/transfer", json={"centre": "440303"}, headers=futian).json()
    restarted = datetime.fromisoformat(moved["sla_started_at"])
    assert moved["sla_started_at"].endswith("Z") and restarted > datetime.fromisoformat(moved["created_at"])
    seen = httpx.get(url, headers=seat_headers(base, "luohu.net")).json()
    assert seen["sla_started_at"] == moved["sla_started_at"]


def test_centres_name_the_parent_an_escalation_goes_to(demo_server: Server) -> None:
    base = demo_server.url
    centres = httpx.get(f"{base}/api/v1/centres", headers=seat_headers(base, "futian.net")).json()
    parents = {c["code"]: c["parent"] for c in centres}
    assert parents == {"440300": None, "440303": "440300", "440304": "440300", "440305": "440300"}
