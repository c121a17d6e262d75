"""SMS and call-backs over HTTP against real server processes: one whose SMS go to a real
(tiny) HTTP gateway, and the embedded one whose SMS land in a file."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.http import FUTIAN, raise_alarm, seat_headers
from tests.support.servers import Server, netalarm
from tests.support.sms_gateway import Gateway, running_gateway


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    with running_gateway() as running:
        yield running


@pytest.fixture(scope="module")
def sms_server(gateway: Gateway, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A demo server sending SMS through `gateway`, retrying after 0.2 s."""
    data = tmp_path_factory.mktemp("sms")
    env = {
        "NETALARM_DATA_DIR": str(data),
        "NETALARM_DATABASE_URL": "",
        "NETALARM_SMS_URL": gateway.url,
        "NETALARM_SMS_RETRY_S": "0.2",
    }
    assert netalarm(["demo"], env).returncode == 0
    server = Server(env, log=Path(data) / "server.log").start()
    yield server
    server.stop()


def _phone() -> str:
    return f"1380013{secrets.randbelow(10_000):04d}"


def _settled(base: str, incident_id: str, headers: dict[str, str], within: float = 10) -> dict[str, Any]:
    """The incident's only SMS once it is no longer pending."""
    deadline = time.monotonic() + within
    while True:
        listed = httpx.get(f"{base}/api/v1/incidents/{incident_id}/sms", headers=headers).json()
        assert len(listed) == 1
        if listed[0]["status"] != "pending":
            return dict(listed[0])
        assert time.monotonic() < deadline, listed
        time.sleep(0.05)


def _timeline(base: str, incident_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = httpx.get(f"{base}/api/v1/incidents/{incident_id}/timeline", headers=headers)
    return list(answer.json())


def test_an_sms_reaches_the_gateway_exactly_once_and_turns_sent(sms_server: Server, gateway: Gateway) -> None:
    base, seat = sms_server.url, seat_headers(sms_server.url, "futian.net")
    phone = _phone()
    alarm = raise_alarm(base, FUTIAN, reporter={"phone": phone})
    incident = httpx.get(f"{base}/api/v1/incidents/{alarm['incident_id']}", headers=seat).json()
    assert incident["reporter_reachable"] is True
    answer = httpx.post(
        f"{base}/api/v1/incidents/{alarm['incident_id']}/sms",
        json={"text": "Police are on the way."},
        headers=seat,
    )
    assert answer.status_code == 202, answer.text
    queued = answer.json()
    assert (queued["status"], queued["text"], queued["to"]) == (
        "pending",
        "Police are on the way.",
        f"+86 138****{phone[-4:]}",
    )
    assert queued["at"] and queued["id"]
    sent = _settled(base, alarm["incident_id"], seat)
    assert (sent["status"], sent["attempts"], sent["error"]) == ("sent", 1, None)
    time.sleep(0.5)  # a second request, if any, would have come by now
    mine = [r for r in gateway.received if r["id"] == queued["id"]]
    assert mine == [{"to": f"+86{phone}", "text": "Police are on the way.", "id": queued["id"]}]
    types = [e["type"] for e in _timeline(base, alarm["incident_id"], seat)]
    assert types == ["alarm_received", "sms_queued", "sms_delivered"]
    assert phone not in json.dumps(_timeline(base, alarm["incident_id"], seat))


def test_a_gateway_error_is_retried_until_the_sms_is_sent(sms_server: Server, gateway: Gateway) -> None:
    base, seat = sms_server.url, seat_headers(sms_server.url, "futian.net")
    alarm = raise_alarm(base, FUTIAN, reporter={"phone": _phone()})
    gateway.script = [500]
    answer = httpx.post(
        f"{base}/api/v1/incidents/{alarm['incident_id']}/sms", json={"text": "Are you safe?"}, headers=seat
    )
    assert answer.status_code == 202, answer.text
    sent = _settled(base, alarm["incident_id"], seat)
    assert (sent["status"], sent["attempts"]) == ("sent", 2)
    assert [t["outcome"] for t in sent["tries"]] == ["retryable", "sent"]
    assert "500" in sent["tries"][0]["error"]
    assert [r["text"] for r in gateway.received if r["id"] == sent["id"]] == ["Are you safe?"] * 2


def test_a_refusing_gateway_fails_the_sms_and_the_timeline_says_so(
    sms_server: Server, gateway: Gateway
) -> None:
    base, seat = sms_server.url, seat_headers(sms_server.url, "futian.net")
    alarm = raise_alarm(base, FUTIAN, reporter={"phone": _phone()})
    gateway.script = [422]
    httpx.post(f"{base}/api/v1/incidents/{alarm['incident_id']}/sms", json={"text": "Hi"}, headers=seat)
    failed = _settled(base, alarm["incident_id"], seat)
    assert (failed["status"], failed["attempts"]) == ("failed", 1) and "422" in failed["error"]
    last = _timeline(base, alarm["incident_id"], seat)[-1]
    assert (last["type"], last["actor"]) == ("sms_failed", "system:sms")


def test_bad_sms_and_call_requests_get_their_status_and_field(demo_server: Server) -> None:
    base, seat = demo_server.url, seat_headers(demo_server.url, "futian.net")
    anonymous = raise_alarm(base, FUTIAN)
    known = raise_alarm(base, FUTIAN, reporter={"phone": _phone()})

    def post(
        alarm: dict[str, Any], what: str, body: dict[str, Any], who: dict[str, str] = seat
    ) -> httpx.Response:
        return httpx.post(f"{base}/api/v1/incidents/{alarm['incident_id']}/{what}", json=body, headers=who)

    refusals = [
        (post(anonymous, "sms", {"text": "Hi"}), 422, "to"),
        (post(known, "sms", {"text": " "}), 422, "text"),
        (post(known, "sms", {"text": "x" * 481}), 422, "text"),
        (post(known, "sms", {}), 422, "text"),
        (post(known, "sms", {"text": "Hi", "to": "abc"}), 422, "to"),
        (post(known, "call", {"outcome": "picked_up"}), 422, "outcome"),
        (post(anonymous, "call", {"outcome": "reached"}), 422, "to"),
        (post(known, "sms", {"text": "Hi"}, seat_headers(base, "luohu.net")), 404, "incident_id"),
        (post(known, "call", {"outcome": "busy"}, seat_headers(base, "luohu.net")), 404, "incident_id"),
    ]
    for answer, status, field in refusals:
        assert (answer.status_code, answer.json()["error"]["field"]) == (status, field), answer.text
    luohu = seat_headers(base, "luohu.net")
    assert httpx.get(f"{base}/api/v1/incidents/{known['incident_id']}/sms", headers=luohu).status_code == 404
    anonymous_view = httpx.get(f"{base}/api/v1/incidents/{anonymous['incident_id']}", headers=seat).json()
    assert anonymous_view["reporter_reachable"] is False

    call = post(known, "call", {"outcome": "reached", "note": "Safe at home"})
    assert call.status_code == 201, call.text
    assert {k: call.json()[k] for k in ("outcome", "note", "to_source", "placed_by")} == {
        "outcome": "reached",
        "note": "Safe at home",
        "to_source": "reporter",
        "placed_by": "seat",
    }
    closed = httpx.post(
        f"{base}/api/v1/incidents/{known['incident_id']}/actions/close",
        json={"disposition": "false_alarm"},
        headers=seat,
    )
    assert closed.status_code == 200, closed.text
    for answer in (post(known, "sms", {"text": "Hi"}), post(known, "call", {"outcome": "reached"})):
        assert (answer.status_code, answer.json()["error"]["code"]) == (409, "incident_closed")
    types = [e["type"] for e in _timeline(base, known["incident_id"], seat)]
    assert types == ["alarm_received", "call", "closed"]


def test_the_embedded_server_writes_each_sms_to_a_file(demo_server: Server) -> None:
    base, seat = demo_server.url, seat_headers(demo_server.url, "futian.net")
    phone = _phone()
    alarm = raise_alarm(base, FUTIAN, reporter={"phone": phone})
    queued = httpx.post(
        f"{base}/api/v1/incidents/{alarm['incident_id']}/sms", json={"text": "请留在原地"}, headers=seat
    ).json()
    assert _settled(base, alarm["incident_id"], seat)["status"] == "sent"
    outbox = Path(demo_server.env["NETALARM_DATA_DIR"]) / "sms" / "outbox.jsonl"
    lines = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert [(r["to"], r["text"]) for r in lines if r["id"] == queued["id"]] == [(f"+86{phone}", "请留在原地")]
