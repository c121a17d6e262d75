"""`/api/v1/alarms/{id}/phone/verification` over HTTP: the reporter asks for a code, the SMS
leaves through the server's SMS outbox (its file transport here), the code typed back
verifies the phone, and the seat sees it; every refusal is a clear 4xx."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.http import FUTIAN, raise_alarm, reporter_headers, reporter_post, seat_headers
from tests.support.servers import Server
from tests.support.waiting import eventually


def _phone() -> str:
    return f"137{secrets.randbelow(10**8):08d}"


def _code_sent_to(server: Server, phone: str, after: int = 0) -> str:
    """The code in the SMS the server wrote to its outbox file for `phone` (the `after`-th
    such SMS and later ones skipped: the newest first)."""
    outbox = Path(server.env["NETALARM_DATA_DIR"]) / "sms" / "outbox.jsonl"

    def found() -> str | None:
        if not outbox.exists():
            return None
        texts = [
            r["text"] for r in map(json.loads, outbox.read_text().splitlines()) if r["to"] == f"+86{phone}"
        ]
        codes = [m[1] for m in (re.search(r"验证码 (\d{6})", t) for t in texts) if m]
        return codes[-1] if len(codes) > after else None

    return eventually(found)


def _ask(base: str, alarm: dict[str, Any], body: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
    return reporter_post(base, alarm, "phone/verification", body or {}, **kw)


def _confirm(base: str, alarm: dict[str, Any], code: Any, **kw: Any) -> httpx.Response:
    return reporter_post(base, alarm, "phone/verification/confirm", {"code": code}, **kw)


def _error(answer: httpx.Response) -> tuple[int, str]:
    return answer.status_code, answer.json()["error"]["code"]


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


@pytest.mark.parametrize("server", ["demo_server", "pg_demo_server"])
def test_a_code_sent_by_sms_and_typed_back_verifies_the_phone_for_the_seat(
    request: pytest.FixtureRequest, server: str
) -> None:
    demo_server: Server = request.getfixturevalue(server)
    base, seat = demo_server.url, seat_headers(demo_server.url, "futian.net")
    phone = _phone()
    alarm = raise_alarm(base, FUTIAN, reporter={"phone": phone})
    incident_url = f"{base}/api/v1/incidents/{alarm['incident_id']}"
    before = httpx.get(incident_url, headers=seat).json()["reporter"]
    assert (before["phone_given"], before["phone_verified"]) == (True, False)

    asked = _ask(base, alarm)
    assert asked.status_code == 202, asked.text
    assert (asked.json()["verified"], asked.json()["attempts_left"]) == (False, 5)
    assert asked.json()["phone"].endswith(phone[-4:]) and phone not in asked.json()["phone"]
    code = _code_sent_to(demo_server, phone)

    wrong = _confirm(base, alarm, _wrong(code))
    assert _error(wrong) == (422, "wrong_code")
    assert (wrong.json()["error"]["field"], wrong.json()["error"]["attempts_left"]) == ("code", 4)
    right = _confirm(base, alarm, code)
    assert right.status_code == 200, right.text
    assert (right.json()["verified"], right.json()["verified_via"]) == (True, "sms_code")
    mine = httpx.get(f"{base}/api/v1/alarms/{alarm['id']}/phone", headers=reporter_headers(alarm)).json()
    assert mine["verified"] is True and mine["code_expires_at"] is None

    after = httpx.get(incident_url, headers=seat).json()["reporter"]
    assert (after["phone_verified"], after["phone_verified_via"]) == (True, "sms_code")
    identity = httpx.get(f"{incident_url}/reporter", headers=seat).json()
    assert (identity["phone"], identity["phone_verified"]) == (f"+86{phone}", True)
    timeline = httpx.get(f"{incident_url}/timeline?lang=en", headers=seat).json()
    types = [e["type"] for e in timeline]
    assert types.count("phone_verification_sent") == 1 and types.count("phone_verified") == 1
    assert types.count("phone_verification_failed") == 1
    assert code not in json.dumps(timeline)
    listed = httpx.get(f"{incident_url}/sms", headers=seat).json()
    assert code not in json.dumps(listed) and "******" in listed[0]["text"]
    assert _error(_ask(base, alarm)) == (409, "phone_already_verified")


def test_another_code_at_once_is_429_with_retry_after(demo_server: Server) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, reporter={"phone": _phone()})
    assert _ask(base, alarm).status_code == 202
    again = _ask(base, alarm)
    assert _error(again) == (429, "code_recently_sent")
    assert 0 < int(again.headers["Retry-After"]) <= 60
    assert again.json()["error"]["retry_after_s"] == int(again.headers["Retry-After"])
    state = httpx.get(f"{base}/api/v1/alarms/{alarm['id']}/phone", headers=reporter_headers(alarm)).json()
    assert 0 < state["next_code_in_s"] <= 60


@pytest.mark.parametrize("server", ["demo_server", "pg_demo_server"])
def test_five_wrong_codes_use_the_code_up(request: pytest.FixtureRequest, server: str) -> None:
    demo_server: Server = request.getfixturevalue(server)
    base = demo_server.url
    phone = _phone()
    alarm = raise_alarm(base, FUTIAN, reporter={"phone": phone})
    assert _ask(base, alarm).status_code == 202
    code = _code_sent_to(demo_server, phone)
    for _ in range(4):
        assert _error(_confirm(base, alarm, _wrong(code))) == (422, "wrong_code")
    last = _confirm(base, alarm, _wrong(code))
    assert _error(last) == (429, "too_many_attempts")
    assert int(last.headers["Retry-After"]) > 0  # the next code must wait for the minute between codes
    assert _error(_confirm(base, alarm, code)) == (429, "too_many_attempts")


def test_bad_inputs_and_alarms_without_a_phone_or_closed_are_refused(demo_server: Server) -> None:
    base, seat = demo_server.url, seat_headers(demo_server.url, "futian.net")
    alarm = raise_alarm(base, FUTIAN, reporter={"phone": _phone()})
    stranger = raise_alarm(base, FUTIAN, reporter={"phone": _phone()})
    assert _error(_ask(base, alarm, as_of=stranger)) == (404, "not_found")
    assert _error(_confirm(base, alarm, "123456", as_of=stranger)) == (404, "not_found")
    anonymous = httpx.post(f"{base}/api/v1/alarms/{alarm['id']}/phone/verification", json={})
    assert _error(anonymous) == (401, "unauthorized")
    assert _error(_confirm(base, alarm, "123456")) == (409, "no_code")
    for bad in ("12345", "1234567", "12a456", 123456, ""):
        refused = _confirm(base, alarm, bad)
        assert refused.status_code == 422 and refused.json()["error"]["field"] == "code", refused.text
    assert _error(_ask(base, alarm, {"even_if_silent": "please"})) == (422, "invalid")
    assert _error(_ask(base, alarm, {"sms": True})) == (422, "unknown_field")

    bare = raise_alarm(base, FUTIAN)
    refused = _ask(base, bare)
    assert _error(refused) == (409, "no_phone") and refused.json()["error"]["field"] == "reporter.phone"
    mine = httpx.get(f"{base}/api/v1/alarms/{bare['id']}/phone", headers=reporter_headers(bare)).json()
    assert (mine["phone"], mine["verified"]) == (None, False)
    assert httpx.get(f"{base}/api/v1/incidents/{bare['incident_id']}", headers=seat).json()["reporter"] == {
        "phone_given": False,
        "phone_verified": False,
        "phone_verified_via": None,
        "phone_verified_at": None,
    }

    closed = httpx.post(
        f"{base}/api/v1/incidents/{stranger['incident_id']}/actions/close",
        json={"disposition": "false_alarm"},
        headers=seat,
    )
    assert closed.status_code == 200, closed.text
    assert _error(_ask(base, stranger)) == (409, "incident_closed")


def test_a_silent_alarm_gets_a_code_only_when_the_reporter_insists(demo_server: Server) -> None:
    base = demo_server.url
    phone = _phone()
    alarm = raise_alarm(base, FUTIAN, silent=True, reporter={"phone": phone})
    state = httpx.get(f"{base}/api/v1/alarms/{alarm['id']}/phone", headers=reporter_headers(alarm)).json()
    assert state["silent"] is True
    refused = _ask(base, alarm)
    assert _error(refused) == (409, "silent_alarm") and refused.json()["error"]["field"] == "even_if_silent"
    assert _ask(base, alarm, {"even_if_silent": True}).status_code == 202
    assert len(_code_sent_to(demo_server, phone)) == 6
