"""The 110 link on a bad day, over HTTP between two real servers: the network side closing a
case the 110 seat is still working, and the link going down and coming back."""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.http import FUTIAN, raise_alarm, reporter_headers, reporter_post, seat_headers
from tests.support.link import (
    forward_id,
    forwarded_alarm,
    internet_server,
    intranet_case,
    intranet_server,
    linked_pair,
    timeline_of,
)
from tests.support.servers import Server
from tests.support.waiting import eventually

TOKEN = "link-" + secrets.token_hex(16)
SMS_TOKEN = "gateway-" + secrets.token_hex(12)


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    internet = internet_server(
        tmp_path_factory.mktemp("trouble-internet"), TOKEN, NETALARM_SMS_INBOUND_TOKEN=SMS_TOKEN
    )
    intranet = intranet_server(tmp_path_factory.mktemp("trouble-intranet"), internet, TOKEN)
    yield internet, intranet
    intranet.stop()
    internet.stop()


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    """A linked pair of its own, for a test that stops a server or breaks the link."""
    with linked_pair(tmp_path, TOKEN) as servers:
        yield servers


def _link(intranet: Server) -> dict[str, Any]:
    status: dict[str, Any] = httpx.get(
        f"{intranet.url}/api/v1/link/110/status", headers=seat_headers(intranet.url, "shenzhen.110")
    ).json()
    return status


def _reporter_sees(internet: Server, alarm: dict[str, Any], text: str) -> list[str] | None:
    """The texts of the alarm's conversation as its reporter reads it, once `text` is in it."""
    url = f"{internet.url}/api/v1/alarms/{alarm['id']}/messages"
    texts = [m["text"] for m in httpx.get(url, headers=reporter_headers(alarm)).json()]
    return texts if text in texts else None


def test_the_network_side_closing_the_case_reaches_the_110_seat_whose_messages_it_then_refuses(
    linked: tuple[Server, Server],
) -> None:
    internet, intranet = linked
    alarm = forwarded_alarm(internet)
    police = seat_headers(intranet.url, "shenzhen.110")
    case = eventually(lambda: intranet_case(intranet, alarm["case_number"], police))
    inside = f"{intranet.url}/api/v1/incidents/{case['id']}"
    assert httpx.get(inside, headers=police).json()["closed_at_source"] is None
    network = seat_headers(internet.url, "futian.net")
    outside = f"{internet.url}/api/v1/incidents/{alarm['incident_id']}/actions"
    for action, body in (
        ("resolve", {"outcome": "Reporter safe at a neighbour's"}),
        ("close", {"disposition": "handled"}),
    ):
        assert httpx.post(f"{outside}/{action}", json=body, headers=network).status_code == 200

    def told() -> dict[str, Any] | None:
        closed: dict[str, Any] | None = httpx.get(inside, headers=police).json()["closed_at_source"]
        return closed if closed and closed["stage"] == "closed" else None

    closed = eventually(told)
    assert (closed["seat"], closed["disposition"], closed["source_case_number"]) == (
        "futian.net",
        "handled",
        alarm["case_number"],
    )
    assert httpx.get(inside, headers=police).json()["status"] == "received"  # 110 closes its own case
    refused = httpx.post(f"{inside}/messages", json={"text": "Are you still there?"}, headers=police)
    error = refused.json()["error"]
    assert (refused.status_code, error["code"]) == (409, "source_closed")
    assert alarm["case_number"] in error["message"] and "futian.net" in error["message"]
    assert [m["text"] for m in httpx.get(f"{inside}/messages", headers=police).json()] == []
    # A seat note on the 110 case's own record is still taken.
    noted = httpx.post(
        f"{inside}/notes", json={"text": "Called the neighbour: reporter confirmed safe"}, headers=police
    )
    assert noted.status_code == 201, noted.text


def test_a_link_down_for_a_while_says_since_when_and_why_and_loses_or_doubles_nothing_after(
    pair: tuple[Server, Server],
) -> None:
    internet, intranet = pair
    alarm = forwarded_alarm(internet)
    police = seat_headers(intranet.url, "shenzhen.110")
    case = eventually(lambda: intranet_case(intranet, alarm["case_number"], police))
    eventually(lambda: _link(intranet)["last_contact_at"])
    assert _link(intranet)["down_since"] is None
    internet.stop()
    inside = f"{intranet.url}/api/v1/incidents/{case['id']}"
    assert httpx.post(f"{inside}/actions/accept", headers=police).status_code == 200
    said = httpx.post(f"{inside}/messages", json={"text": "Leave by the back door"}, headers=police)
    assert said.status_code == 201, said.text

    [waiting] = httpx.get(f"{inside}/messages", headers=police).json()
    assert (waiting["text"], waiting["waiting_for_link"], waiting["delivered_at"]) == (
        "Leave by the back door",
        True,
        None,
    )
    down = eventually(lambda: _link(intranet) if _link(intranet)["error_kind"] else None)
    assert (down["error_kind"], down["error_status"]) == ("unreachable", None)
    assert down["down_since"] is not None and down["down_since"] > down["last_contact_at"]
    assert "unreachable" in down["last_error"]
    assert _link(intranet)["down_since"] == down["down_since"]  # since the first failure, not the last

    internet.start()
    texts = eventually(lambda: _reporter_sees(internet, alarm, "Leave by the back door"))
    assert (
        eventually(lambda: _link(intranet) if _link(intranet)["last_error"] is None else None)["down_since"]
        is None
    )
    network = seat_headers(internet.url, "futian.net")
    entries = httpx.get(
        f"{internet.url}/api/v1/incidents/{alarm['incident_id']}/timeline", headers=network
    ).json()
    stages = [e["data"]["stage"] for e in entries if e["type"] == "link_110"]
    assert stages == ["received_from_network", "accepted"]
    assert texts.count("Leave by the back door") == 1
    # The reporter's phone fetched it (just now): the receipt comes back to the 110 seat.
    [crossed] = eventually(
        lambda: (
            [m for m in httpx.get(f"{inside}/messages", headers=police).json() if m["delivered_at"]] or None
        )
    )
    assert (crossed["text"], crossed["waiting_for_link"]) == ("Leave by the back door", False)


def test_one_case_the_internet_side_refuses_holds_up_no_other_case_and_the_link_says_so(
    pair: tuple[Server, Server],
) -> None:
    internet, intranet = pair
    police = seat_headers(intranet.url, "shenzhen.110")
    lost, other = forwarded_alarm(internet, "First case"), forwarded_alarm(internet, "Second case")
    cases = [eventually(partial(intranet_case, intranet, a["case_number"], police)) for a in (lost, other)]
    eventually(lambda: _link(intranet)["last_contact_at"])
    # The Internet side no longer knows the first forward (its database restored from an older
    # backup, say): it refuses that case's progress with 404.
    with sqlite3.connect(Path(internet.env["NETALARM_DATA_DIR"]) / "netalarm.sqlite3") as db:
        db.execute("DELETE FROM link_forwards WHERE incident_id = ?", (lost["incident_id"].replace("-", ""),))
    for case in cases:
        said = httpx.post(
            f"{intranet.url}/api/v1/incidents/{case['id']}/messages",
            json={"text": "Police are on the way"},
            headers=police,
        )
        assert said.status_code == 201, said.text

    assert eventually(lambda: _reporter_sees(internet, other, "Police are on the way"))
    assert reporter_post(internet.url, other, "messages", {"text": "They are leaving"}).status_code == 201
    inside = f"{intranet.url}/api/v1/incidents/{cases[1]['id']}/messages"
    eventually(
        lambda: (
            [m for m in httpx.get(inside, headers=police).json() if m["text"] == "They are leaving"] or None
        )
    )
    refused = eventually(lambda: _link(intranet) if _link(intranet)["error_kind"] else None)
    assert (refused["error_kind"], refused["error_status"]) == ("refused", 404)
    assert "1 case(s) was refused" in refused["last_error"] and refused["down_since"]
    assert _reporter_sees(internet, lost, "Police are on the way") is None


def test_a_text_from_the_reporters_phone_after_the_forward_is_its_own_alarm_and_reaches_the_110_case(
    linked: tuple[Server, Server],
) -> None:
    internet, intranet = linked
    phone = f"139{secrets.randbelow(10**8):08d}"
    alarm = forwarded_alarm(
        internet, alarm=raise_alarm(internet.url, FUTIAN, category="violence", reporter={"phone": phone})
    )
    police = seat_headers(intranet.url, "shenzhen.110")
    case = eventually(lambda: intranet_case(intranet, alarm["case_number"], police))
    texted = httpx.post(
        f"{internet.url}/api/v1/sms/inbound",
        json={"message_id": f"gw-{secrets.token_hex(6)}", "from": phone, "text": "He is in the stairwell"},
        headers={"Authorization": f"Bearer {SMS_TOKEN}"},
    )
    assert texted.status_code == 201, texted.text
    assert texted.json()["outcome"] == "alarm"  # still an alarm of its own for the network seats

    def told() -> dict[str, Any] | None:
        entries = httpx.get(f"{intranet.url}/api/v1/incidents/{case['id']}/timeline?lang=en", headers=police)
        return next((e for e in entries.json() if e["type"] == "reporter_sms_at_source"), None)

    entry = eventually(told)
    assert entry["data"]["text"] == "He is in the stairwell"
    assert entry["data"]["sms_case_number"] == texted.json()["case_number"]
    assert entry["words"] == (
        "The reporter's phone texted the alarm number on the network side "
        f"(their case {texted.json()['case_number']}): “He is in the stairwell”"
    )


def test_the_internet_side_says_when_the_110_side_last_called_and_since_when_a_forward_waits(
    pair: tuple[Server, Server],
) -> None:
    internet, intranet = pair
    network = seat_headers(internet.url, "futian.net")
    status_url = f"{internet.url}/api/v1/link/110/status"
    heard = eventually(
        lambda: s if (s := httpx.get(status_url, headers=network).json())["last_contact_at"] else None
    )
    assert heard["silent_for_s"] < 5 and heard["waiting"] == 0 and heard["oldest_waiting_since"] is None
    intranet.stop()
    alarm = forwarded_alarm(internet, "Nobody inside to take it")
    time.sleep(3)
    silent = httpx.get(status_url, headers=network).json()
    assert silent["silent_for_s"] >= 3 and silent["waiting"] == 1
    forwarded_at = next(
        e["at"] for e in timeline_of(internet, alarm["incident_id"], network) if e["type"] == "forwarded_110"
    )
    # The forward's row and its timeline entry are stamped in one transaction, a moment apart.
    waiting_since = datetime.fromisoformat(silent["oldest_waiting_since"])
    assert abs(waiting_since - datetime.fromisoformat(forwarded_at)) < timedelta(seconds=1)


def test_a_report_merged_into_the_forwarded_case_outside_reaches_the_110_case(
    linked: tuple[Server, Server],
) -> None:
    internet, intranet = linked
    alarm = forwarded_alarm(internet)
    police = seat_headers(intranet.url, "shenzhen.110")
    case = eventually(lambda: intranet_case(intranet, alarm["case_number"], police))
    again = raise_alarm(internet.url, FUTIAN, category="violence", description="Now he has a gun")
    network = seat_headers(internet.url, "futian.net")
    merged = httpx.post(
        f"{internet.url}/api/v1/incidents/{again['incident_id']}/actions/merge",
        json={"into": alarm["incident_id"]},
        headers=network,
    )
    assert merged.status_code == 200, merged.text

    def told() -> dict[str, Any] | None:
        entries = httpx.get(f"{intranet.url}/api/v1/incidents/{case['id']}/timeline?lang=zh", headers=police)
        return next((e for e in entries.json() if e["type"] == "merged_at_source"), None)

    entry = eventually(told)
    assert (entry["data"]["from_case_number"], entry["data"]["text"]) == (
        again["case_number"],
        "Now he has a gun",
    )
    assert entry["words"].endswith("其报警内容：“Now he has a gun”")


def test_an_intranet_server_killed_mid_case_picks_up_where_it_was_without_losing_or_doubling(
    pair: tuple[Server, Server],
) -> None:
    internet, intranet = pair
    alarm = forwarded_alarm(internet)
    police = seat_headers(intranet.url, "shenzhen.110")
    case = eventually(lambda: intranet_case(intranet, alarm["case_number"], police))
    inside = f"{intranet.url}/api/v1/incidents/{case['id']}"
    said = httpx.post(f"{inside}/messages", json={"text": "Lock the door"}, headers=police)
    assert said.status_code == 201, said.text
    assert intranet.process is not None
    intranet.process.kill()  # no goodbye: SIGKILL right after the seat's 201
    intranet.process.wait()
    for text in ("He is at the door", "He left"):
        assert reporter_post(internet.url, alarm, "messages", {"text": text}).status_code == 201

    intranet.start()
    police = seat_headers(intranet.url, "shenzhen.110")

    def heard() -> list[str] | None:
        texts = [m["text"] for m in httpx.get(f"{inside}/messages", headers=police).json()]
        return texts if "He left" in texts else None

    assert eventually(heard) == ["Lock the door", "He is at the door", "He left"]
    assert eventually(lambda: _reporter_sees(internet, alarm, "Lock the door")).count("Lock the door") == 1
    time.sleep(1)  # a few more rounds: nothing comes twice
    assert heard() == ["Lock the door", "He is at the door", "He left"]
    assert [i["id"] for i in httpx.get(f"{intranet.url}/api/v1/incidents", headers=police).json()] == [
        case["id"]
    ]


def test_a_case_whose_news_cannot_be_read_or_taken_holds_up_no_other_case_and_the_link_says_so(
    pair: tuple[Server, Server],
) -> None:
    internet, intranet = pair
    police = seat_headers(intranet.url, "shenzhen.110")
    unreadable, untakable, sound = (forwarded_alarm(internet, f"Case {n}") for n in range(3))
    cases = [
        eventually(partial(intranet_case, intranet, a["case_number"], police))
        for a in (unreadable, untakable, sound)
    ]
    eventually(lambda: _link(intranet)["last_contact_at"])
    intranet.stop()
    for alarm in (unreadable, untakable, sound):
        assert reporter_post(internet.url, alarm, "messages", {"text": "Still here"}).status_code == 201
    # Outside, the first case's message entry is damaged (a broken restore, say): unreadable there.
    with sqlite3.connect(Path(internet.env["NETALARM_DATA_DIR"]) / "netalarm.sqlite3") as db:
        db.execute(
            "UPDATE timeline SET data = '{\"message\": 7}' WHERE type = 'message' AND incident_id = ?",
            (unreadable["incident_id"].replace("-", ""),),
        )
    # Inside, the second case has lost the alarm that carries its conversation: its news fails here.
    with sqlite3.connect(Path(intranet.env["NETALARM_DATA_DIR"]) / "netalarm.sqlite3") as db:
        db.execute(
            "UPDATE alarms SET idempotency_key = 'damaged' WHERE idempotency_key = ?",
            (f"link:{forward_id(internet, untakable)}",),
        )
    intranet.start()

    inside = f"{intranet.url}/api/v1/incidents/{cases[2]['id']}"
    eventually(
        lambda: (
            [m for m in httpx.get(f"{inside}/messages", headers=police).json() if m["text"] == "Still here"]
            or None
        )
    )
    held = eventually(lambda: _link(intranet) if _link(intranet)["error_kind"] else None)
    assert (held["error_kind"], held["error_status"]) == ("refused", None)
    said = held["last_error"]
    assert f"the news of 1 case(s) was refused, first: case {unreadable['case_number']}" in said
    assert f"the news of case {unreadable['case_number']} cannot be read: AttributeError" in said
    assert f"the news of 1 case(s) could not be taken, first: case {untakable['case_number']}" in said
    assert held["down_since"] is not None
