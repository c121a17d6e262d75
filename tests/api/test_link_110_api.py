"""The 110 boundary link end to end: an Internet-side server and an intranet 110 server, each
a real process with its own database, the intranet one pulling over HTTP. A network seat
forwards; the 110 seat takes the case and works it; its progress closes the loop outside."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.media import tus
from tests.media.samples import photo
from tests.support.breaking_proxy import BreakingProxy
from tests.support.databases import create_pg_database, drop_pg_database
from tests.support.http import FUTIAN, raise_alarm, reporter_headers, seat_headers
from tests.support.link import (
    forward_id,
    forwarded_alarm,
    internet_server,
    intranet_case,
    intranet_server,
    timeline_of,
)
from tests.support.servers import Server, free_port
from tests.support.waiting import eventually

TOKEN = "link-" + secrets.token_hex(16)
LINK = {"Authorization": f"Bearer {TOKEN}"}
SMS_TOKEN = "gateway-" + secrets.token_hex(12)


@pytest.fixture(scope="module")
def internet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = internet_server(
        tmp_path_factory.mktemp("link-internet"), TOKEN, NETALARM_SMS_INBOUND_TOKEN=SMS_TOKEN
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def intranet(internet: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    name, url = create_pg_database("netalarm_intranet")
    server = intranet_server(tmp_path_factory.mktemp("link-intranet"), internet, TOKEN, url)
    yield server
    server.stop()
    drop_pg_database(name)


def test_the_link_doors_need_the_link_token(internet: Server, demo_server: Server) -> None:
    doors = f"{internet.url}/api/v1/link/110/forwards"
    assert httpx.get(doors).status_code == 401
    assert httpx.get(doors, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.get(doors, headers=LINK).status_code == 200
    off = httpx.get(f"{demo_server.url}/api/v1/link/110/forwards", headers=LINK)
    assert (off.status_code, off.json()["error"]["code"]) == (403, "no_110_link")


def test_the_news_answer_names_unreadable_cases_only_to_a_puller_of_version_3_or_later(
    internet: Server,
) -> None:
    asked = {"after": {str(uuid.uuid4()): 0}}
    news = f"{internet.url}/api/v1/link/110/news"
    answers: tuple[tuple[str, dict[str, Any]], ...] = (
        ("", {"updates": {}}),
        ("?version=2", {"updates": {}}),
        ("?version=3", {"updates": {}, "unreadable": {}}),
    )
    for version, answer in answers:
        got = httpx.post(f"{news}{version}", json=asked, headers=LINK)
        assert (got.status_code, got.json()) == (200, answer)
    assert httpx.post(f"{news}?version=0", json=asked, headers=LINK).status_code == 422


def test_a_server_without_the_link_refuses_to_forward_and_says_why(demo_server: Server) -> None:
    alarm = raise_alarm(demo_server.url, FUTIAN)
    seat = seat_headers(demo_server.url, "futian.net")
    base = f"{demo_server.url}/api/v1/incidents/{alarm['incident_id']}/actions"
    httpx.post(f"{base}/accept", headers=seat)
    refused = httpx.post(f"{base}/forward-110", json={"note": "please"}, headers=seat)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "no_110_link")
    status = httpx.get(f"{demo_server.url}/api/v1/link/110/status", headers=seat).json()
    assert status == {"role": "internet", "enabled": False, "waiting": 0}


def test_a_forward_made_while_the_intranet_is_away_arrives_when_it_comes_back(
    internet: Server, tmp_path: Path, fresh_database: str
) -> None:
    alarm = forwarded_alarm(internet, "Waiting for the link")
    seat = seat_headers(internet.url, "futian.net")
    status = httpx.get(f"{internet.url}/api/v1/link/110/status", headers=seat).json()
    assert status["enabled"] and status["waiting"] >= 1
    intranet = intranet_server(tmp_path, internet, TOKEN, fresh_database)
    try:
        police = seat_headers(intranet.url, "shenzhen.110")
        case = eventually(lambda: intranet_case(intranet, alarm["case_number"], police))
        assert (case["status"], case["priority"], case["category"]) == ("received", "P1", "violence")
        assert case["first"]["data"]["note"] == "Waiting for the link"
        whole = httpx.get(f"{intranet.url}/api/v1/incidents/{case['id']}", headers=police).json()
        assert whole["reporter_reachable"] is True  # the reporter's number came along
        # The case here began when it arrived; where it came from and when the reporter raised
        # the alarm (before the wait) are on it.
        came = whole["from_network"]
        assert (came["case_number"], came["centre"], came["forwarded_by"], came["note"]) == (
            alarm["case_number"],
            "440304",
            "futian.net",
            "Waiting for the link",
        )
        assert (
            came["reported_at"] < whole["created_at"] and came["reported_at"][:19] == alarm["created_at"][:19]
        )

        def taken() -> list[dict[str, Any]] | None:
            entries = timeline_of(internet, alarm["incident_id"], seat)
            return [e for e in entries if e["type"] == "link_110"] or None

        [received] = eventually(taken)
        assert received["data"]["remote_case_number"] == case["case_number"]
        status = httpx.get(f"{internet.url}/api/v1/link/110/status", headers=seat).json()
        assert status["waiting"] == 0
    finally:
        intranet.stop()


def test_the_110_seat_works_the_case_and_its_progress_closes_the_loop_outside(
    internet: Server, intranet: Server
) -> None:
    alarm = forwarded_alarm(internet)
    police = seat_headers(intranet.url, "shenzhen.110")
    case = eventually(lambda: intranet_case(intranet, alarm["case_number"], police))
    base = f"{intranet.url}/api/v1/incidents/{case['id']}/actions"
    for action, body in (
        ("accept", {}),
        ("dispatch", {"note": "Patrol car 3"}),
        ("resolve", {"outcome": "Held"}),
    ):
        assert httpx.post(f"{base}/{action}", json=body, headers=police).status_code == 200

    network = seat_headers(internet.url, "futian.net")
    outside = f"{internet.url}/api/v1/incidents/{alarm['incident_id']}"

    def resolved() -> dict[str, Any] | None:
        incident: dict[str, Any] = httpx.get(outside, headers=network).json()
        return incident if incident["status"] == "resolved" else None

    assert eventually(resolved)["outcome"] == "Held"
    entries = timeline_of(internet, alarm["incident_id"], network)
    links = [e["data"] for e in entries if e["type"] == "link_110"]
    assert [d["stage"] for d in links] == ["received_from_network", "accepted", "dispatched", "resolved"]
    assert {d["remote_case_number"] for d in links} == {case["case_number"]}
    assert links[1]["by"] == "seat:shenzhen.110" and links[2]["note"] == "Patrol car 3"
    assert httpx.get(f"{outside}/timeline/verify", headers=network).json()["ok"] is True
    # The reporter learns their case is resolved; then the network seat closes it.
    mine = httpx.get(f"{internet.url}/api/v1/alarms/{alarm['id']}", headers=reporter_headers(alarm)).json()
    assert mine["status"] == "resolved"
    closed = httpx.post(f"{outside}/actions/close", json={"disposition": "handled"}, headers=network)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    # The intranet has no reporters: its home page is the 110 seat console.
    home = httpx.get(f"{intranet.url}/report", follow_redirects=False)
    assert (home.status_code, home.headers["location"]) == (307, "/seat")
    link = httpx.get(f"{intranet.url}/api/v1/link/110/status", headers=police).json()
    assert (
        link["role"] == "intranet" and link["enabled"] and link["last_contact_at"] and not link["last_error"]
    )


def test_an_intranet_server_that_cannot_reach_outside_says_so(tmp_path: Path) -> None:
    nowhere = Server({}, port=free_port())  # never started: nothing listens there
    intranet = intranet_server(tmp_path, nowhere, TOKEN)
    try:
        police = seat_headers(intranet.url, "shenzhen.110")

        def down() -> dict[str, Any] | None:
            status: dict[str, Any] = httpx.get(
                f"{intranet.url}/api/v1/link/110/status", headers=police
            ).json()
            return status if status["last_error"] else None

        status = eventually(down)
        assert status["enabled"] and status["last_contact_at"] is None
        assert "unreachable" in status["last_error"]
    finally:
        intranet.stop()


def test_the_reporter_and_the_110_seat_talk_across_the_boundary(internet: Server, intranet: Server) -> None:
    alarm = forwarded_alarm(internet)
    police = seat_headers(intranet.url, "shenzhen.110")
    case = eventually(lambda: intranet_case(intranet, alarm["case_number"], police))
    mine = f"{internet.url}/api/v1/alarms/{alarm['id']}/messages"
    assert (
        httpx.post(mine, json={"text": "He has a red jacket"}, headers=reporter_headers(alarm)).status_code
        == 201
    )
    theirs = f"{intranet.url}/api/v1/incidents/{case['id']}/messages"

    def heard(text: str, url: str, headers: dict[str, str]) -> dict[str, Any] | None:
        return next((m for m in httpx.get(url, headers=headers).json() if m["text"] == text), None)

    assert eventually(lambda: heard("He has a red jacket", theirs, police))["from"] == "reporter"
    assert (
        httpx.post(
            theirs, json={"text": "Stay inside, police are two minutes away"}, headers=police
        ).status_code
        == 201
    )
    reply = eventually(
        lambda: heard("Stay inside, police are two minutes away", mine, reporter_headers(alarm))
    )
    assert reply["from"] == "seat"
    # Neither message came back a second time.
    time.sleep(1)
    assert [m["text"] for m in httpx.get(mine, headers=reporter_headers(alarm)).json()].count(
        reply["text"]
    ) == 1
    assert [m["text"] for m in httpx.get(theirs, headers=police).json()].count("He has a red jacket") == 1


def test_a_reporter_who_alarmed_by_sms_gets_the_110_seats_reply_by_sms(
    internet: Server, intranet: Server
) -> None:
    texted = {
        "message_id": f"gw-{secrets.token_hex(8)}",
        "from": "13900131234",
        "text": "Burglar inside, cannot talk",
    }
    raised = httpx.post(
        f"{internet.url}/api/v1/sms/inbound", json=texted, headers={"Authorization": f"Bearer {SMS_TOKEN}"}
    )
    assert raised.status_code == 201, raised.text
    alarm = raised.json()
    city = seat_headers(internet.url, "shenzhen.net")  # no position: the root centre's
    actions = f"{internet.url}/api/v1/incidents/{alarm['incident_id']}/actions"
    assert httpx.post(f"{actions}/accept", headers=city).status_code == 200
    assert httpx.post(f"{actions}/forward-110", json={"note": "SMS alarm"}, headers=city).status_code == 200
    police = seat_headers(intranet.url, "shenzhen.110")
    case = eventually(lambda: intranet_case(intranet, alarm["case_number"], police))
    said = httpx.post(
        f"{intranet.url}/api/v1/incidents/{case['id']}/messages",
        json={"text": "Stay locked in, police are two minutes away"},
        headers=police,
    )
    assert said.status_code == 201, said.text

    def replied() -> dict[str, Any] | None:
        sent = httpx.get(f"{internet.url}/api/v1/incidents/{alarm['incident_id']}/sms", headers=city).json()
        return next((s for s in sent if "two minutes" in s["text"]), None)

    sms = eventually(replied)
    assert sms["text"] == f"[{alarm['case_number']}] Stay locked in, police are two minutes away"
    assert (sms["seat"], sms["to_source"]) == ("110:shenzhen.110", "reporter")


def _uploaded(internet: Server, alarm: dict[str, Any], data: bytes, filename: str) -> str:
    url, answer = tus.upload(internet.url, alarm, data, filename)
    assert answer.status_code == 204, answer.text
    return tus.media_id(url)


def _media(server: Server, incident_id: str, seat: dict[str, str]) -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.url}/api/v1/incidents/{incident_id}/media", headers=seat)
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def test_the_reporters_files_cross_to_the_110_side_unchanged_and_on_both_records(
    internet: Server, intranet: Server
) -> None:
    alarm = raise_alarm(internet.url, FUTIAN, category="robbery_theft")
    before = photo(size=(640, 480))
    _uploaded(internet, alarm, before, "before-forward.jpg")
    forwarded_alarm(internet, "Thief still in the building", alarm)
    police = seat_headers(intranet.url, "shenzhen.110")
    case = eventually(lambda: intranet_case(intranet, alarm["case_number"], police))
    after = photo("PNG", size=(320, 240))
    _uploaded(internet, alarm, after, "after-forward.png")

    files = eventually(lambda: m if len(m := _media(intranet, case["id"], police)) == 2 else None)
    sent = {"before-forward.jpg": before, "after-forward.png": after}
    for item in files:
        original = httpx.get(f"{intranet.url}{item['url']}", headers=police)
        assert original.content == sent[item["filename"]]
        assert item["sha256"] == hashlib.sha256(sent[item["filename"]]).hexdigest()
        assert item["preview_url"] is not None
        verified = httpx.get(f"{intranet.url}{item['url']}/verify", headers=police).json()
        assert verified["ok"] is True
    inside = [e for e in timeline_of(intranet, case["id"], police) if e["type"] == "media_attached"]
    assert {(e["actor"], e["data"]["filename"]) for e in inside} == {
        ("system:110-link", "before-forward.jpg"),
        ("system:110-link", "after-forward.png"),
    }
    network = seat_headers(internet.url, "futian.net")
    handed = [
        e
        for e in timeline_of(internet, alarm["incident_id"], network)
        if e["type"] == "media_downloaded" and e["actor"] == "system:110-link"
    ]
    assert sorted(e["data"]["filename"] for e in handed) == ["after-forward.png", "before-forward.jpg"]
    assert {e["data"]["variant"] for e in handed} == {"link_110"}
    # Fetched once each: later rounds find them here.
    time.sleep(1)
    assert len(_media(intranet, case["id"], police)) == 2


def test_a_photo_the_reporter_sends_in_the_chat_arrives_on_the_110_side_in_its_message(
    internet: Server, intranet: Server
) -> None:
    alarm = forwarded_alarm(internet, "Car thief, photo coming")
    police = seat_headers(intranet.url, "shenzhen.110")
    case = eventually(lambda: intranet_case(intranet, alarm["case_number"], police))
    said = httpx.post(
        f"{internet.url}/api/v1/alarms/{alarm['id']}/messages",
        json={"text": "📎 car.jpg"},
        headers=reporter_headers(alarm),
    )
    assert said.status_code == 201, said.text
    media_id = tus.media_id(
        tus.upload(internet.url, alarm, photo(), "car.jpg", message_id=said.json()["id"])[0]
    )
    theirs = f"{intranet.url}/api/v1/incidents/{case['id']}/messages"

    def linked() -> dict[str, Any] | None:
        return next((m for m in httpx.get(theirs, headers=police).json() if m["media_ids"]), None)

    message = eventually(linked)
    assert (message["text"], message["media_ids"]) == ("📎 car.jpg", [media_id])
    [item] = _media(intranet, case["id"], police)
    assert (item["id"], item["message_id"]) == (media_id, message["id"])


def test_a_file_broken_off_on_the_way_in_goes_on_from_where_it_broke_off(tmp_path: Path) -> None:
    # A pair of its own: the module's intranet server would take the forward first.
    internet = internet_server(tmp_path / "outside", TOKEN)
    proxy = BreakingProxy(internet.url).start()
    intranet = intranet_server(tmp_path / "inside", Server({}, port=proxy.port), TOKEN)
    try:
        alarm = forwarded_alarm(internet, "Burglary, long video coming")
        police = seat_headers(intranet.url, "shenzhen.110")
        case = eventually(lambda: intranet_case(intranet, alarm["case_number"], police))
        data = photo("PNG", size=(1600, 1200))
        half = len(data) // 2
        proxy.break_next("/media/", after=half)
        media_id = _uploaded(internet, alarm, data, "scene.png")

        [item] = eventually(lambda: _media(intranet, case["id"], police) or None)
        assert httpx.get(f"{intranet.url}{item['url']}", headers=police).content == data
        assert httpx.get(f"{intranet.url}{item['url']}/verify", headers=police).json()["ok"] is True
        asked = [s.range for s in proxy.seen if s.method == "GET" and s.path.endswith(f"/media/{media_id}")]
        assert asked[0] is None and len(asked) == 2, asked
        resumed_at = int(asked[1].removeprefix("bytes=").removesuffix("-"))  # type: ignore[union-attr]
        assert 0 < resumed_at <= half
        network = seat_headers(internet.url, "futian.net")
        handed = [
            e["data"]["range"]
            for e in timeline_of(internet, alarm["incident_id"], network)
            if e["type"] == "media_downloaded" and e["actor"] == "system:110-link"
        ]
        assert handed == [None, f"bytes={resumed_at}-{len(data) - 1}"]
    finally:
        intranet.stop()
        proxy.stop()
        internet.stop()


def test_a_file_whose_bytes_no_longer_match_its_hash_is_refused_inside_and_said_on_the_case(
    internet: Server, intranet: Server
) -> None:
    alarm = raise_alarm(internet.url, FUTIAN, category="violence")
    media_id = _uploaded(internet, alarm, photo(), "tampered.jpg")
    stored = Path(internet.env["NETALARM_DATA_DIR"]) / "media" / "originals" / media_id
    data = bytearray(stored.read_bytes())
    data[-100] ^= 0xFF  # same length, other bytes
    stored.write_bytes(bytes(data))
    forwarded_alarm(internet, "Photo of the attacker attached", alarm)
    police = seat_headers(intranet.url, "shenzhen.110")
    case = eventually(lambda: intranet_case(intranet, alarm["case_number"], police))

    refused = eventually(
        lambda: next(
            (e for e in timeline_of(intranet, case["id"], police) if e["type"] == "media_refused"), None
        )
    )
    assert refused["data"]["media_id"] == media_id
    assert refused["data"]["filename"] == "tampered.jpg"
    assert "SHA-256" in refused["data"]["reason"]
    assert _media(intranet, case["id"], police) == []
    time.sleep(1)  # not fetched, nor said, again
    entries = timeline_of(intranet, case["id"], police)
    assert [e["type"] for e in entries].count("media_refused") == 1


def test_the_file_doors_need_the_link_token_and_serve_only_forwarded_files(
    internet: Server, intranet: Server
) -> None:
    alarm = raise_alarm(internet.url, FUTIAN)
    media_id = _uploaded(internet, alarm, photo(), "not-forwarded.jpg")
    listed = httpx.post(f"{internet.url}/api/v1/link/110/media", json={"forwards": [str(uuid.uuid4())]})
    assert listed.status_code == 401
    unknown = httpx.post(
        f"{internet.url}/api/v1/link/110/media", json={"forwards": [str(uuid.uuid4())]}, headers=LINK
    )
    assert (unknown.status_code, unknown.json()) == (200, {"media": {}})
    bad = httpx.post(f"{internet.url}/api/v1/link/110/media", json={"forwards": ["nope"]}, headers=LINK)
    assert bad.status_code == 422
    other = forwarded_alarm(internet, "Another case")
    door = f"{internet.url}/api/v1/link/110/forwards/{forward_id(internet, other)}/media/{media_id}"
    assert httpx.get(door).status_code == 401
    refused = httpx.get(door, headers=LINK)
    assert (refused.status_code, refused.json()["error"]["field"]) == (404, "media_id")


def test_the_file_door_serves_the_range_asked_for_and_refuses_one_past_the_end(internet: Server) -> None:
    alarm = forwarded_alarm(internet, "Case whose file is read in parts")
    data = photo()
    media_id = _uploaded(internet, alarm, data, "part.jpg")
    door = f"{internet.url}/api/v1/link/110/forwards/{forward_id(internet, alarm)}/media/{media_id}"
    part = httpx.get(door, headers={**LINK, "Range": "bytes=100-"})
    assert (part.status_code, part.content) == (206, data[100:])
    assert part.headers["content-range"] == f"bytes 100-{len(data) - 1}/{len(data)}"
    past = httpx.get(door, headers={**LINK, "Range": f"bytes={len(data)}-"})
    assert (past.status_code, past.json()["error"]["code"]) == (416, "range_not_satisfiable")
    network = seat_headers(internet.url, "futian.net")
    read = [
        e["data"]["range"]
        for e in timeline_of(internet, alarm["incident_id"], network)
        if e["type"] == "media_downloaded"
    ]
    assert f"bytes=100-{len(data) - 1}" in read
