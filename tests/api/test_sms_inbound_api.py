"""Inbound SMS over HTTP against a real server whose gateway secret is set (and the embedded
demo server, where it is not): alarms raised by SMS, replies into the chat, repeats, the
gateway's token, a seat's chat reply leaving as an SMS in the file outbox, and what a reporter
asks for by text: CANCEL ALARM / 取消报警 (a withdrawal, confirmed by SMS) and QUIET / 静音 (a
silent case, not texted as it moves on)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from netalarm.channels.sms.service import QUIET_RECEIPT, RECEIPT, STATUS_TEXTS, WITHDRAWN_TEXTS
from tests.support.http import raise_alarm, seat_headers
from tests.support.servers import Server, netalarm

TOKEN = "gateway-" + secrets.token_hex(12)
GATEWAY = {"Authorization": f"Bearer {TOKEN}"}
CITY_SEAT = "shenzhen.net"  # the root centre's seat: an alarm without a position goes there


@pytest.fixture(scope="module")
def inbound_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A demo server accepting inbound SMS with `TOKEN`; its SMS go to the file outbox."""
    data = tmp_path_factory.mktemp("sms-inbound")
    env = {"NETALARM_DATA_DIR": str(data), "NETALARM_DATABASE_URL": "", "NETALARM_SMS_INBOUND_TOKEN": TOKEN}
    assert netalarm(["demo"], env).returncode == 0
    server = Server(env, log=Path(data) / "server.log").start()
    yield server
    server.stop()


def _phone() -> str:
    return f"1390013{secrets.randbelow(10_000):04d}"


def _text_in(base: str, sender: str, text: str, message_id: str | None = None) -> httpx.Response:
    body = {"message_id": message_id or f"gw-{secrets.token_hex(8)}", "from": sender, "text": text}
    return httpx.post(f"{base}/api/v1/sms/inbound", json=body, headers=GATEWAY)


def _sms_in(base: str, sender: str, text: str, message_id: str | None = None) -> dict[str, Any]:
    answer = _text_in(base, sender, text, message_id)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _timeline(base: str, incident_id: str, seat: dict[str, str]) -> list[dict[str, Any]]:
    answer = httpx.get(f"{base}/api/v1/incidents/{incident_id}/timeline", headers=seat)
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def test_an_sms_from_a_new_number_raises_an_sms_alarm_the_seat_sees(inbound_server: Server) -> None:
    base, seat = inbound_server.url, seat_headers(inbound_server.url, CITY_SEAT)
    raised = _sms_in(base, _phone(), "A man is lying on the road")
    assert raised["outcome"] == "alarm" and raised["message_id"] is None
    assert raised["alarm_id"] and raised["case_number"]
    incident = httpx.get(f"{base}/api/v1/incidents/{raised['incident_id']}", headers=seat).json()
    assert (incident["case_number"], incident["category"], incident["status"]) == (
        raised["case_number"],
        "other",
        "received",
    )
    assert incident["reporter_reachable"] is True
    received = _timeline(base, raised["incident_id"], seat)[0]
    assert (received["type"], received["data"]["channel"], received["data"]["description"]) == (
        "alarm_received",
        "sms",
        "A man is lying on the road",
    )


def test_the_sender_of_a_new_sms_alarm_gets_a_receipt_with_the_case_number_and_a_reply_does_not(
    inbound_server: Server,
) -> None:
    base, seat = inbound_server.url, seat_headers(inbound_server.url, CITY_SEAT)
    phone = _phone()
    raised = _sms_in(base, phone, "I cannot talk, man with a knife at 5 Shennan Road")
    receipt = RECEIPT.format(case=raised["case_number"])
    assert "警情编号" in receipt and f"case {raised['case_number']}" in receipt
    assert _outbox_line(inbound_server.env["NETALARM_DATA_DIR"], receipt)["to"] == f"+86{phone}"
    queued = [e for e in _timeline(base, raised["incident_id"], seat) if e["type"] == "sms_queued"]
    assert [(e["actor"], e["data"]["text"]) for e in queued] == [("system:sms", receipt)]
    assert _sms_in(base, phone, "He is leaving now")["outcome"] == "message"
    listed = httpx.get(f"{base}/api/v1/incidents/{raised['incident_id']}/sms", headers=seat).json()
    assert [d["text"] for d in listed] == [receipt]  # one receipt per alarm, none per reply


def test_a_reply_from_the_same_number_lands_in_the_open_incidents_chat(inbound_server: Server) -> None:
    base, seat = inbound_server.url, seat_headers(inbound_server.url, CITY_SEAT)
    phone = _phone()
    raised = _sms_in(base, phone, "Burglars next door")
    reply = _sms_in(base, f"+86{phone}", "They just left in a white van")
    assert reply["outcome"] == "message" and reply["message_id"]
    assert {k: reply[k] for k in ("alarm_id", "incident_id", "case_number")} == {
        k: raised[k] for k in ("alarm_id", "incident_id", "case_number")
    }
    messages = httpx.get(f"{base}/api/v1/incidents/{raised['incident_id']}/messages", headers=seat).json()
    assert [(m["id"], m["from"], m["text"]) for m in messages] == [
        (reply["message_id"], "reporter", "They just left in a white van")
    ]


def test_the_same_gateway_message_twice_is_one_alarm_or_one_message_with_the_same_answer(
    inbound_server: Server,
) -> None:
    base, seat = inbound_server.url, seat_headers(inbound_server.url, CITY_SEAT)
    phone, alarm_id, reply_id = _phone(), f"gw-{secrets.token_hex(8)}", f"gw-{secrets.token_hex(8)}"
    first = _text_in(base, phone, "Shots fired", alarm_id)
    again = _text_in(base, phone, "Shots fired", alarm_id)
    assert (first.status_code, again.status_code, again.json()) == (201, 200, first.json())
    reply = _text_in(base, phone, "Near the school", reply_id)
    reply_again = _text_in(base, phone, "Near the school", reply_id)
    assert (reply.status_code, reply_again.status_code, reply_again.json()) == (201, 200, reply.json())
    incident_id = first.json()["incident_id"]
    types = [e["type"] for e in _timeline(base, incident_id, seat)]
    # The texting number is the carrier's word for the reporter's phone: verified, once.
    assert [t for t in types if not t.startswith("sms_")] == ["alarm_received", "phone_verified", "message"]
    assert types.count("sms_queued") == 1  # one receipt, however often the alarm's SMS came
    reporter = httpx.get(f"{base}/api/v1/incidents/{incident_id}", headers=seat).json()["reporter"]
    assert (reporter["phone_verified"], reporter["phone_verified_via"]) == (True, "carrier")
    assert len(httpx.get(f"{base}/api/v1/incidents/{incident_id}/messages", headers=seat).json()) == 1


@pytest.mark.parametrize("message_id", ["m2", "x", "1234"])
def test_a_gateway_message_number_of_a_few_characters_still_raises_the_alarm_once(
    inbound_server: Server, message_id: str
) -> None:
    base = inbound_server.url
    phone = _phone()
    first = _text_in(base, phone, "Help, break-in", message_id)  # each number used once on this server
    assert first.status_code == 201, first.text
    assert first.json()["outcome"] == "alarm"
    again = _text_in(base, phone, "Help, break-in", message_id)
    assert (again.status_code, again.json()) == (200, first.json())


def test_inbound_sms_without_or_with_a_wrong_gateway_token_is_401_and_stores_nothing(
    inbound_server: Server,
) -> None:
    base = inbound_server.url
    body = {"message_id": f"gw-{secrets.token_hex(8)}", "from": _phone(), "text": "Help"}
    for headers in ({}, {"Authorization": "Bearer not-the-token"}, {"Authorization": TOKEN}):
        answer = httpx.post(f"{base}/api/v1/sms/inbound", json=body, headers=headers)
        assert (answer.status_code, answer.json()["error"]["field"]) == (401, "authorization"), answer.text
    # Nothing was stored under that message id: with the token it is a new alarm.
    assert httpx.post(f"{base}/api/v1/sms/inbound", json=body, headers=GATEWAY).status_code == 201


def test_inbound_sms_is_refused_when_no_gateway_token_is_configured(demo_server: Server) -> None:
    body = {"message_id": f"gw-{secrets.token_hex(8)}", "from": _phone(), "text": "Help"}
    for headers in ({}, GATEWAY, {"Authorization": "Bearer x"}):
        answer = httpx.post(f"{demo_server.url}/api/v1/sms/inbound", json=body, headers=headers)
        assert (answer.status_code, answer.json()["error"]["code"]) == (403, "sms_inbound_disabled")
        assert "NETALARM_SMS_INBOUND_TOKEN" in answer.json()["error"]["message"]


def test_the_gateways_receipt_time_of_a_late_text_is_on_the_case(inbound_server: Server) -> None:
    base, seat = inbound_server.url, seat_headers(inbound_server.url, CITY_SEAT)
    phone = _phone()
    sent = datetime.now(UTC) - timedelta(minutes=5)
    body = {"message_id": f"gw-{secrets.token_hex(8)}", "from": phone, "text": "Fire on floor 3"}
    raised = httpx.post(
        f"{base}/api/v1/sms/inbound", json={**body, "received_at": sent.isoformat()}, headers=GATEWAY
    ).json()
    reply = {"message_id": f"gw-{secrets.token_hex(8)}", "from": phone, "text": "Smoke in the stairs"}
    later = sent + timedelta(minutes=1)
    answered = httpx.post(
        f"{base}/api/v1/sms/inbound", json={**reply, "received_at": later.isoformat()}, headers=GATEWAY
    ).json()
    entries = [e for e in _timeline(base, raised["incident_id"], seat) if e["type"] == "sms_received"]
    assert [(e["actor"], e["data"]["message_id"]) for e in entries] == [
        ("system:sms", None),
        ("system:sms", answered["message_id"]),
    ]
    first = datetime.fromisoformat(entries[0]["data"]["gateway_received_at"])
    assert abs((first - sent).total_seconds()) < 0.01
    assert 295 < entries[0]["data"]["delay_s"] < 330
    assert 235 < entries[1]["data"]["delay_s"] < 270
    # Without a time from the gateway, nothing is claimed.
    plain = _sms_in(base, _phone(), "Help")
    assert not [e for e in _timeline(base, plain["incident_id"], seat) if e["type"] == "sms_received"]


def test_bad_inbound_sms_bodies_get_422_naming_the_field(inbound_server: Server) -> None:
    base = inbound_server.url
    good = {"message_id": "gw-1234567", "from": _phone(), "text": "Help"}
    for field, body in (
        ("message_id", {k: v for k, v in good.items() if k != "message_id"}),
        ("from", {k: v for k, v in good.items() if k != "from"}),
        ("received_at", {**good, "received_at": "yesterday"}),
        ("received_at", {**good, "received_at": "2026-11-26T10:00:00"}),  # no time zone
        ("received_at", {**good, "received_at": "0001-01-01T00:00:00+14:00"}),  # before year 1 in UTC
        ("received_at", {**good, "received_at": "9999-12-31T23:59:59-14:00"}),  # after 9999 in UTC
        ("received_at", {**good, "received_at": (datetime.now(UTC) + timedelta(days=3)).isoformat()}),
        ("received_at", {**good, "received_at": (datetime.now(UTC) - timedelta(days=60)).isoformat()}),
        ("text", {**good, "text": "x" * 40_001}),  # longer than any concatenated SMS
    ):
        answer = httpx.post(f"{base}/api/v1/sms/inbound", json=body, headers=GATEWAY)
        assert (answer.status_code, answer.json()["error"]["field"]) == (422, field), answer.text


def test_a_text_longer_than_a_message_raises_the_alarm_with_its_beginning_not_a_422(
    inbound_server: Server,
) -> None:
    base, seat = inbound_server.url, seat_headers(inbound_server.url, CITY_SEAT)
    raised = _sms_in(base, _phone(), "救命 " + "x" * 6_000)
    incident = httpx.get(f"{base}/api/v1/incidents/{raised['incident_id']}", headers=seat).json()
    assert incident["description"].startswith("救命 xxx") and len(incident["description"]) <= 4_000
    assert incident["description"].endswith("characters cut）")


def test_a_blank_sms_is_taken_as_a_silent_alarm_not_refused(inbound_server: Server) -> None:
    base, seat = inbound_server.url, seat_headers(inbound_server.url, CITY_SEAT)
    raised = _sms_in(base, _phone(), " ")
    assert raised["outcome"] == "alarm"
    incident = httpx.get(f"{base}/api/v1/incidents/{raised['incident_id']}", headers=seat).json()
    assert incident["silent"] is True and incident["description"] == "（空白短信 · blank SMS）"


def test_an_unparseable_sender_still_raises_the_alarm_and_the_seat_sees_the_raw_sender(
    inbound_server: Server,
) -> None:
    base, seat = inbound_server.url, seat_headers(inbound_server.url, CITY_SEAT)
    raised = _sms_in(base, "not-a-number", "Robbery in progress")
    assert raised["outcome"] == "alarm"
    incident = httpx.get(f"{base}/api/v1/incidents/{raised['incident_id']}", headers=seat).json()
    assert incident["reporter_reachable"] is False
    [received] = _timeline(base, raised["incident_id"], seat)
    assert received["data"]["description"] == (
        "Robbery in progress\n\n(SMS sender is not a valid phone number: not-a-number)"
    )


def _outbox_line(data_dir: str, text: str, within: float = 10) -> dict[str, Any]:
    path = Path(data_dir) / "sms" / "outbox.jsonl"
    deadline = time.monotonic() + within
    while True:
        if path.exists():
            for line in path.read_bytes().splitlines():
                record: dict[str, Any] = orjson.loads(line)
                if record["text"] == text:
                    return record
        assert time.monotonic() < deadline, f"no SMS {text!r} in {path}"
        time.sleep(0.05)


def test_a_seats_chat_reply_on_an_sms_alarm_is_sent_as_an_sms_with_the_case_number(
    inbound_server: Server,
) -> None:
    base, seat = inbound_server.url, seat_headers(inbound_server.url, CITY_SEAT)
    phone = _phone()
    raised = _sms_in(base, phone, "Someone is following me")
    said = f"Stay in a lit place, officers are coming ({secrets.token_hex(3)})"
    posted = httpx.post(
        f"{base}/api/v1/incidents/{raised['incident_id']}/messages", json={"text": said}, headers=seat
    )
    assert posted.status_code == 201, posted.text
    sent = _outbox_line(inbound_server.env["NETALARM_DATA_DIR"], f"[{raised['case_number']}] {said}")
    assert sent["to"] == f"+86{phone}"
    listed = httpx.get(f"{base}/api/v1/incidents/{raised['incident_id']}/sms", headers=seat).json()
    assert [(d["text"], d["to_source"]) for d in listed] == [
        (RECEIPT.format(case=raised["case_number"]), "reporter"),
        (f"[{raised['case_number']}] {said}", "reporter"),
    ]
    too_long = httpx.post(
        f"{base}/api/v1/incidents/{raised['incident_id']}/messages", json={"text": "x" * 480}, headers=seat
    )
    assert (too_long.status_code, too_long.json()["error"]["field"]) == (422, "text")
    messages = httpx.get(f"{base}/api/v1/incidents/{raised['incident_id']}/messages", headers=seat).json()
    assert [m["text"] for m in messages] == [said]  # the refused reply was not stored either


def test_a_closed_incidents_number_texting_again_raises_a_new_alarm(inbound_server: Server) -> None:
    base, seat = inbound_server.url, seat_headers(inbound_server.url, CITY_SEAT)
    phone = _phone()
    first = _sms_in(base, phone, "Loud party")
    closed = httpx.post(
        f"{base}/api/v1/incidents/{first['incident_id']}/actions/close",
        json={"disposition": "false_alarm"},
        headers=seat,
    )
    assert closed.status_code == 200, closed.text
    again = _sms_in(base, phone, "Now they are fighting")
    assert again["outcome"] == "alarm" and again["incident_id"] != first["incident_id"]


def test_the_sms_reporter_is_told_by_sms_when_police_are_dispatched_and_when_the_case_is_closed(
    inbound_server: Server,
) -> None:
    base, seat = inbound_server.url, seat_headers(inbound_server.url, CITY_SEAT)
    phone = _phone()
    raised = _sms_in(base, phone, "Two men breaking into cars")
    case, actions = raised["case_number"], f"{base}/api/v1/incidents/{raised['incident_id']}/actions"
    for action, body in (
        ("accept", {}),
        ("dispatch", {"note": "unit 12"}),
        ("resolve", {"outcome": "both detained"}),
        ("close", {"disposition": "handled"}),
    ):
        done = httpx.post(f"{actions}/{action}", json=body, headers=seat)
        assert done.status_code == 200, done.text
    listed = httpx.get(f"{base}/api/v1/incidents/{raised['incident_id']}/sms", headers=seat).json()
    assert [d["text"] for d in listed] == [
        RECEIPT.format(case=case),
        STATUS_TEXTS["dispatched"].format(case=case),
        STATUS_TEXTS["closed"].format(case=case),
    ]
    sent = _outbox_line(inbound_server.env["NETALARM_DATA_DIR"], STATUS_TEXTS["closed"].format(case=case))
    assert sent["to"] == f"+86{phone}"


def test_an_sms_alarm_says_how_long_a_seats_reply_may_be_and_a_web_alarm_does_not(
    inbound_server: Server,
) -> None:
    base, seat = inbound_server.url, seat_headers(inbound_server.url, CITY_SEAT)
    raised = _sms_in(base, _phone(), "Gas smell in the corridor")
    texted = httpx.get(f"{base}/api/v1/incidents/{raised['incident_id']}", headers=seat).json()
    assert texted["sms_reply_max"] == 480 - len(f"[{raised['case_number']}] ")
    web = raise_alarm(base, None, category="fire")
    assert (
        httpx.get(f"{base}/api/v1/incidents/{web['incident_id']}", headers=seat).json()["sms_reply_max"]
        is None
    )
    merged = _sms_in(base, _phone(), "Same fire, seen from the street")
    into = {"into": web["incident_id"]}
    assert httpx.post(
        f"{base}/api/v1/incidents/{merged['incident_id']}/actions/merge", json=into, headers=seat
    ).is_success
    gone = httpx.get(f"{base}/api/v1/incidents/{merged['incident_id']}", headers=seat)  # no alarm left
    assert (gone.status_code, gone.json()["sms_reply_max"]) == (200, None)
    phoneless = _sms_in(base, "POLICE", "No number to answer")
    assert (
        httpx.get(f"{base}/api/v1/incidents/{phoneless['incident_id']}", headers=seat).json()["sms_reply_max"]
        is None
    )


def test_cancel_alarm_by_sms_reaches_the_seat_as_a_withdrawal_and_is_confirmed_by_sms(
    inbound_server: Server,
) -> None:
    base, seat = inbound_server.url, seat_headers(inbound_server.url, CITY_SEAT)
    phone = _phone()
    raised = _sms_in(base, phone, "My child is missing in the park")
    answer = _sms_in(base, phone, "Cancel alarm.")
    assert (answer["outcome"], answer["keyword"], answer["incident_id"]) == (
        "message",
        "cancel",
        raised["incident_id"],
    )
    incident = httpx.get(f"{base}/api/v1/incidents/{raised['incident_id']}", headers=seat).json()
    assert incident["status"] == "received"  # a cancellation changes no status
    assert [(w["alarm_id"], w["reason"]) for w in incident["withdrawals"]] == [
        (raised["alarm_id"], "mistake")
    ]
    messages = httpx.get(f"{base}/api/v1/incidents/{raised['incident_id']}/messages", headers=seat).json()
    assert [m["text"] for m in messages] == ["Cancel alarm."]
    confirmation = WITHDRAWN_TEXTS["mistake"].format(case=raised["case_number"])
    assert _outbox_line(inbound_server.env["NETALARM_DATA_DIR"], confirmation)["to"] == f"+86{phone}"
    words = [
        e["words"]
        for e in httpx.get(
            f"{base}/api/v1/incidents/{raised['incident_id']}/timeline?lang=en", headers=seat
        ).json()
        if e["type"] == "withdrawn"
    ]
    assert words == [
        "The reporter cancelled the alarm: sent by mistake. The case stays open until a seat closes it."
    ]


def test_an_answer_safe_to_the_seat_is_only_a_message(inbound_server: Server) -> None:
    base, seat = inbound_server.url, seat_headers(inbound_server.url, CITY_SEAT)
    phone = _phone()
    raised = _sms_in(base, phone, "Someone is in my garden")
    assert _sms_in(base, phone, "SAFE")["keyword"] is None
    incident = httpx.get(f"{base}/api/v1/incidents/{raised['incident_id']}", headers=seat).json()
    assert incident["withdrawals"] == []


def test_a_quiet_sms_reporter_is_not_texted_as_the_case_moves_on_and_the_seat_sees_why(
    inbound_server: Server,
) -> None:
    base, seat = inbound_server.url, seat_headers(inbound_server.url, CITY_SEAT)
    raised = _sms_in(base, _phone(), "QUIET he is looking for me, 3rd floor toilets, Civic Centre")
    assert raised["keyword"] == "quiet"
    incident_url = f"{base}/api/v1/incidents/{raised['incident_id']}"
    incident = httpx.get(incident_url, headers=seat).json()
    assert (incident["silent"], incident["priority"]) == (True, "P1")
    for action, body in (
        ("accept", {}),
        ("dispatch", {"note": "unit 3"}),
        ("resolve", {"outcome": "found and safe"}),
        ("close", {"disposition": "handled"}),
    ):
        done = httpx.post(f"{incident_url}/actions/{action}", json=body, headers=seat)
        assert done.status_code == 200, done.text
    listed = httpx.get(f"{incident_url}/sms", headers=seat).json()
    assert [d["text"] for d in listed] == [QUIET_RECEIPT.format(case=raised["case_number"])]
    withheld = [e for e in _timeline(base, raised["incident_id"], seat) if e["type"] == "sms_withheld"]
    assert [e["data"]["status"] for e in withheld] == ["dispatched", "closed"]


def test_quiet_texted_into_an_open_case_makes_it_silent_for_the_seat(inbound_server: Server) -> None:
    base, seat = inbound_server.url, seat_headers(inbound_server.url, CITY_SEAT)
    phone = _phone()
    raised = _sms_in(base, phone, "Domestic fight next door")
    assert _sms_in(base, phone, "静音")["keyword"] == "quiet"
    incident = httpx.get(f"{base}/api/v1/incidents/{raised['incident_id']}", headers=seat).json()
    assert (incident["silent"], incident["priority"]) == (True, "P1")
    words = httpx.get(
        f"{base}/api/v1/incidents/{raised['incident_id']}/timeline?lang=zh", headers=seat
    ).json()
    assert "报警人要求静默：除非必要不发短信，手机响动可能被人察觉。" in [e["words"] for e in words]
