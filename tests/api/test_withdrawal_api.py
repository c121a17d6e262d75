"""`POST /api/v1/alarms/{id}/withdraw` over HTTP: the reporter takes an alarm back, the seats
are told live, and the case stays open for a seat to close."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.http import FUTIAN, raise_alarm, reporter_headers, reporter_post, seat_headers
from tests.support.push import Push, of
from tests.support.servers import Server


def _withdraw(
    base: str, alarm: dict[str, Any], reason: Any, as_of: dict[str, Any] | None = None
) -> httpx.Response:
    return reporter_post(base, alarm, "withdraw", {"reason": reason}, as_of=as_of)


async def test_a_withdrawal_reaches_the_seat_and_the_reporters_other_pages_live(demo_server: Server) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, silent=True)
    seat_socket = await Push.seat(base, "futian.net")
    reporter_socket = await Push.reporter(base, alarm)
    try:
        answer = _withdraw(base, alarm, "mistake")
        assert answer.status_code == 200, answer.text
        told = await seat_socket.expect(of("withdrawn", alarm["incident_id"], reason="mistake"))
        assert told["data"]["alarm_id"] == alarm["id"]
        mine = await reporter_socket.expect(of("withdrawn", alarm["incident_id"]))
        assert mine["data"] == {"reason": "mistake"}
    finally:
        await seat_socket.close()
        await reporter_socket.close()


def test_a_withdrawn_alarm_says_so_to_both_sides_and_its_case_stays_open(demo_server: Server) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, silent=True)
    answer = _withdraw(base, alarm, "mistake")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["withdrawn"], body["withdrawn_reason"], body["status"]) == (True, "mistake", "received")
    status = httpx.get(f"{base}/api/v1/alarms/{alarm['id']}", headers=reporter_headers(alarm)).json()
    assert status["withdrawn_at"] == body["withdrawn_at"] and status["withdrawn_reason"] == "mistake"
    seat = seat_headers(base, "futian.net")
    incident_url = f"{base}/api/v1/incidents/{alarm['incident_id']}"
    incident = httpx.get(incident_url, headers=seat).json()
    assert incident["status"] == "received"
    assert incident["withdrawals"] == [
        {"alarm_id": alarm["id"], "at": body["withdrawn_at"], "reason": "mistake"}
    ]
    listed = httpx.get(f"{base}/api/v1/incidents", headers=seat).json()
    assert [i["withdrawals"] for i in listed if i["id"] == incident["id"]] == [incident["withdrawals"]]
    timeline = httpx.get(f"{incident_url}/timeline?lang=zh", headers=seat).json()
    [entry] = [e for e in timeline if e["type"] == "withdrawn"]
    assert "误触发送" in entry["words"]


def test_a_repeat_answers_the_same_and_records_nothing_more(demo_server: Server) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN)
    first = _withdraw(base, alarm, "safe").json()
    again = _withdraw(base, alarm, "mistake")
    assert again.status_code == 200
    assert (again.json()["withdrawn"], again.json()["withdrawn_reason"]) == (False, "safe")
    assert again.json()["withdrawn_at"] == first["withdrawn_at"]
    seat = seat_headers(base, "futian.net")
    timeline = httpx.get(f"{base}/api/v1/incidents/{alarm['incident_id']}/timeline", headers=seat).json()
    assert [e["type"] for e in timeline].count("withdrawn") == 1


def test_a_bad_reason_someone_elses_token_no_token_or_a_closed_case_is_refused(demo_server: Server) -> None:
    base = demo_server.url
    alarm, other = raise_alarm(base, FUTIAN), raise_alarm(base, FUTIAN)
    for reason in ("bored", None, ""):
        bad = _withdraw(base, alarm, reason)
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "reason", bad.text
    assert _withdraw(base, alarm, "mistake", as_of=other).status_code == 404
    anonymous = httpx.post(f"{base}/api/v1/alarms/{alarm['id']}/withdraw", json={"reason": "safe"})
    assert anonymous.status_code == 401
    closed = httpx.post(
        f"{base}/api/v1/incidents/{alarm['incident_id']}/actions/close",
        json={"disposition": "false_alarm"},
        headers=seat_headers(base, "futian.net"),
    )
    assert closed.status_code == 200, closed.text
    late = _withdraw(base, alarm, "mistake")
    assert late.status_code == 409 and late.json()["error"]["code"] == "illegal_transition"
    status = httpx.get(f"{base}/api/v1/alarms/{alarm['id']}", headers=reporter_headers(alarm)).json()
    assert status["withdrawn_at"] is None
