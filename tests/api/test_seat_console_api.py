"""The server side of the seat console: queue counts, earlier alarms, idle sign-out, the
printable report and its signed link, the supervisor's overview, the console settings."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.support.http import FUTIAN, LUOHU, raise_alarm, reporter_headers, seat_headers
from tests.support.push import Push, login
from tests.support.servers import Server, netalarm


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A demo server whose seats are signed out after 2 s without acting (heartbeats every second)."""
    data = tmp_path_factory.mktemp("idle")
    env = {
        "NETALARM_DATA_DIR": str(data),
        "NETALARM_DATABASE_URL": "",
        "NETALARM_SEAT_IDLE_TIMEOUT_S": "2",
        "NETALARM_WS_HEARTBEAT_S": "1",
    }
    assert netalarm(["demo"], env).returncode == 0
    server = Server(env, log=Path(data) / "server.log").start()
    yield server
    server.stop()


def test_the_queue_rows_count_unread_reporter_messages(demo_server: Server) -> None:
    base, seat = demo_server.url, seat_headers(demo_server.url, "futian.net")
    alarm = raise_alarm(base, FUTIAN, silent=True)
    for text in ("help", "I am hiding"):
        posted = httpx.post(
            f"{base}/api/v1/alarms/{alarm['id']}/messages",
            json={"text": text},
            headers=reporter_headers(alarm),
        )
        assert posted.status_code == 201
    rows = httpx.get(f"{base}/api/v1/incidents?status=received&limit=500", headers=seat).json()
    row = next(r for r in rows if r["id"] == alarm["incident_id"])
    assert (row["unread_count"], row["media_count"], row["silent"], row["priority"]) == (2, 0, True, "P1")


@pytest.mark.parametrize("server", ["demo_server", "pg_demo_server"])
def test_earlier_alarms_of_the_same_phone_are_listed_without_identity(
    request: pytest.FixtureRequest, server: str
) -> None:
    base = request.getfixturevalue(server).url
    seat = seat_headers(base, "futian.net")
    person = {"phone": f"1380013{secrets.randbelow(10_000):04d}", "name": "Li Lei"}
    first = raise_alarm(base, FUTIAN, category="fraud", reporter=person)
    second = raise_alarm(base, FUTIAN, category="violence", reporter=person)
    earlier = httpx.get(f"{base}/api/v1/incidents/{second['incident_id']}/earlier", headers=seat).json()
    assert [(e["case_number"], e["same"], e["category"]) for e in earlier] == [
        (first["case_number"], "phone", "fraud")
    ]
    assert person["phone"] not in str(earlier) and "Li Lei" not in str(earlier)
    sibling = seat_headers(base, "luohu.net")
    hidden = httpx.get(f"{base}/api/v1/incidents/{second['incident_id']}/earlier", headers=sibling)
    assert hidden.status_code == 404


def test_a_seat_that_does_not_act_is_signed_out_after_the_idle_time(idle_server: Server) -> None:
    base = idle_server.url
    active, unattended = seat_headers(base, "futian.net"), seat_headers(base, "futian.sup")
    background = {"X-Netalarm-Background": "1"}
    for _ in range(6):  # 3 s: the active seat acts every half second, the other only polls
        assert httpx.get(f"{base}/api/v1/auth/me", headers=active).status_code == 200
        httpx.get(f"{base}/api/v1/incidents", headers={**unattended, **background})
        time.sleep(0.5)
    assert httpx.get(f"{base}/api/v1/incidents", headers=active).status_code == 200
    refused = httpx.get(f"{base}/api/v1/incidents", headers=unattended)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "session_idle"


async def test_an_idle_seats_socket_is_closed_and_its_token_cannot_open_another(idle_server: Server) -> None:
    base = idle_server.url
    token = login(base, "luohu.net")
    socket = await Push.open(base, "/api/v1/seat/ws", token)
    started = time.monotonic()
    try:
        with pytest.raises(ConnectionClosed) as closed:
            while True:  # heartbeats, which are not the seat acting, until the token check after 2 s idle
                await socket.frame("never", within=6)
    finally:
        await socket.close()
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4401, "signed out")
    assert 2 <= time.monotonic() - started < 6
    with pytest.raises(InvalidStatus) as refused:
        await Push.open(base, "/api/v1/seat/ws", token)
    assert refused.value.response.status_code == 401
    assert json.loads(refused.value.response.body or b"{}")["error"]["code"] == "session_idle"


def test_console_settings_name_the_sla_times_the_idle_limit_and_the_servers_time(idle_server: Server) -> None:
    before = datetime.now(UTC)
    config = httpx.get(f"{idle_server.url}/api/v1/seat/config").json()
    after = datetime.now(UTC)
    assert config["sla_s"] == {"P1": 15.0, "P2": 30.0, "P3": 120.0, "P4": 600.0}
    assert config["idle_timeout_s"] == 2 and config["map_tile_url"] == ""
    assert before <= datetime.fromisoformat(config["server_time"]) <= after  # same machine, same clock


def _closed_incident(base: str, seat: dict[str, str]) -> dict[str, str]:
    alarm = raise_alarm(base, FUTIAN, category="robbery_theft", description="bag snatched at the bus stop")
    httpx.post(
        f"{base}/api/v1/alarms/{alarm['id']}/messages",
        json={"text": "he ran north"},
        headers=reporter_headers(alarm),
    )
    incident = f"{base}/api/v1/incidents/{alarm['incident_id']}"
    for action, body in [
        ("accept", {}),
        ("dispatch", {"note": "patrol car 7"}),
        ("resolve", {"outcome": "bag returned"}),
        ("close", {"disposition": "handled"}),
    ]:
        assert httpx.post(f"{incident}/actions/{action}", json=body, headers=seat).status_code == 200
    return alarm


@pytest.mark.parametrize("server", ["demo_server", "pg_demo_server"])
def test_the_report_tells_the_whole_event_in_plain_words(request: pytest.FixtureRequest, server: str) -> None:
    base = request.getfixturevalue(server).url
    seat = seat_headers(base, "futian.net")
    alarm = _closed_incident(base, seat)
    answer = httpx.get(f"{base}/api/v1/incidents/{alarm['incident_id']}/report.html", headers=seat)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    page = answer.text
    steps = [
        "Alarm received through web: category robbery theft",
        "Message from the reporter: “he ran north”",
        "Accepted by seat futian.net",
        "Dispatched. Note: patrol car 7",
        "Resolved. Outcome: bag returned",
        "Closed as handled.",
    ]
    positions = [page.index(step) for step in steps]
    assert positions == sorted(positions)
    assert alarm["case_number"] in page and "22.543100, 114.057900" in page
    assert "The timeline&#x27;s hash chain verifies: 6 entries, none altered." in page
    chinese = httpx.get(f"{base}/api/v1/incidents/{alarm['incident_id']}/report.html?lang=zh", headers=seat)
    assert "时间线哈希链校验通过" in chinese.text and "结案：已处置。" in chinese.text
    assert "抢劫/盗窃" in chinese.text


def test_a_signed_report_link_works_without_the_bearer_only_as_signed(demo_server: Server) -> None:
    base, seat = demo_server.url, seat_headers(demo_server.url, "futian.net")
    alarm = _closed_incident(base, seat)
    link = httpx.post(f"{base}/api/v1/incidents/{alarm['incident_id']}/report-link", headers=seat).json()[
        "url"
    ]
    assert httpx.get(base + link).status_code == 200
    assert httpx.get(base + link.replace("sig=", "sig=0")).status_code == 401
    assert httpx.get(f"{base}/api/v1/incidents/{alarm['incident_id']}/report.html").status_code == 401
    other = raise_alarm(base, FUTIAN)
    moved = link.replace(alarm["incident_id"], other["incident_id"])
    assert httpx.get(base + moved).status_code == 401
    sibling = seat_headers(base, "luohu.net")
    refused = httpx.post(f"{base}/api/v1/incidents/{alarm['incident_id']}/report-link", headers=sibling)
    assert refused.status_code == 404


@pytest.mark.parametrize("server", ["demo_server", "pg_demo_server"])
def test_the_supervisor_sees_seats_online_what_they_hold_and_sla_compliance(
    request: pytest.FixtureRequest, server: str
) -> None:
    base = request.getfixturevalue(server).url
    seat, supervisor = seat_headers(base, "futian.net"), seat_headers(base, "futian.sup")
    alarm = raise_alarm(base, FUTIAN, category="traffic")
    httpx.post(f"{base}/api/v1/incidents/{alarm['incident_id']}/actions/accept", json={}, headers=seat)
    raise_alarm(base, LUOHU)  # a sibling district's incident is not counted
    overview = httpx.get(f"{base}/api/v1/supervisor/overview", headers=supervisor).json()
    assert overview["centre"] == "440304"
    seats = {s["username"]: s for s in overview["seats"]}
    assert {"futian.net", "futian.sup"} <= set(seats) and "luohu.net" not in seats
    assert alarm["case_number"] in [i["case_number"] for i in seats["futian.net"]["open"]]
    today = overview["today"]
    assert today["within_sla"] >= 1 and 0 < today["share_within_sla"] <= 1
    assert today["median_time_to_accept_s"] is not None
    denied = httpx.get(f"{base}/api/v1/supervisor/overview", headers=seat)
    assert denied.status_code == 403
