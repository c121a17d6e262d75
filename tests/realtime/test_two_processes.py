"""Two server processes on one database and one bus (NATS JetStream, then PostgreSQL):
whatever happens on one reaches the push clients of the other."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from tests.realtime.conftest import Pair
from tests.support.http import FUTIAN, raise_alarm, seat_headers
from tests.support.push import Push, of


async def test_an_alarm_submitted_to_one_process_reaches_a_seat_on_the_other_once(pair: Pair) -> None:
    seat = await Push.seat(pair.b.url, "futian.net")
    try:
        started = time.monotonic()
        alarm = raise_alarm(pair.a.url, FUTIAN, description="a man with a knife")
        event = await seat.expect(of("alarm_received", alarm_id=alarm["id"]), within=5)
        assert time.monotonic() - started < 1.0
        assert set(event) == {"id", "type", "at", "incident_id", "data"}
        assert event["incident_id"] == alarm["incident_id"]
        assert event["data"]["case_number"] == alarm["case_number"]
        assert event["data"]["description"] == "a man with a knife"
        await seat.settle(0.5)
        assert seat.count(of("alarm_received", alarm_id=alarm["id"])) == 1
    finally:
        await seat.close()


async def test_a_seat_sees_its_subtree_only(pair: Pair) -> None:
    luohu = await Push.seat(pair.b.url, "luohu.net")
    city = await Push.seat(pair.a.url, "shenzhen.net")
    try:
        alarm = raise_alarm(pair.a.url, FUTIAN)
        await city.expect(of("alarm_received", alarm_id=alarm["id"]))
        await luohu.settle(0.5)
        assert luohu.count(of("alarm_received", alarm_id=alarm["id"])) == 0
    finally:
        await luohu.close()
        await city.close()


async def test_chat_crosses_processes_and_receipts_come_back(pair: Pair) -> None:
    alarm = raise_alarm(pair.a.url, FUTIAN)
    reporter = await Push.reporter(pair.a.url, alarm)
    seat = await Push.seat(pair.b.url, "futian.net")
    http = httpx.AsyncClient(headers=seat_headers(pair.b.url, "futian.net"))
    incident = f"{pair.b.url}/api/v1/incidents/{alarm['incident_id']}"
    try:
        # Seat on B → reporter on A; the push to the reporter is the delivered receipt.
        answer = await http.post(f"{incident}/messages", json={"text": "Are you safe?"})
        assert answer.status_code == 201, answer.text
        sent: dict[str, Any] = answer.json()
        pushed = await reporter.expect(of("message", message__id=sent["id"]))
        assert pushed["data"]["message"]["text"] == "Are you safe?"
        assert "seat" not in pushed["data"]["message"]  # the officer's login stays with the seats
        await seat.expect(of("message_delivered", message_id=sent["id"], by="reporter"))
        # The reporter reads it over its socket; the seat on B sees the read receipt.
        await reporter.send({"type": "read", "message_id": sent["id"], "ref": "r1"})
        ack = await reporter.frame("ack")
        assert ack["data"]["ref"] == "r1" and ack["data"]["message"]["read_at"]
        await seat.expect(of("message_read", message_id=sent["id"], by="reporter"))
        # Reporter on A → seat on B, over the reporter's socket; the seat reads it over HTTP.
        await reporter.send({"type": "message", "text": "Hiding in the kitchen", "ref": "m1"})
        ack = await reporter.frame("ack")
        mine = ack["data"]["message"]
        assert mine["from"] == "reporter" and mine["text"] == "Hiding in the kitchen"
        await seat.expect(of("message", message__id=mine["id"]))
        await reporter.expect(of("message_delivered", message_id=mine["id"], by="seat"))
        read = await http.post(f"{incident}/messages/{mine['id']}/read")
        assert read.status_code == 200, read.text
        await reporter.expect(of("message_read", message_id=mine["id"], by="seat"))
        # Both sides' histories show the receipts.
        history = (
            await http.get(
                f"{pair.a.url}/api/v1/alarms/{alarm['id']}/messages",
                headers={"Authorization": f"Bearer {alarm['reporter_token']}"},
            )
        ).json()
        assert [m["id"] for m in history] == [sent["id"], mine["id"]]
        assert all(m["delivered_at"] and m["read_at"] for m in history)
    finally:
        await http.aclose()
        await reporter.close()
        await seat.close()


async def test_two_seats_cannot_both_accept_and_every_console_sees_who_took_it(pair: Pair) -> None:
    alarm = raise_alarm(pair.a.url, FUTIAN)
    watcher = await Push.seat(pair.b.url, "shenzhen.sup")
    url = f"/api/v1/incidents/{alarm['incident_id']}/actions/accept"
    try:
        async with httpx.AsyncClient() as http:
            answers = await asyncio.gather(
                http.post(pair.a.url + url, json={}, headers=seat_headers(pair.a.url, "futian.net")),
                http.post(pair.b.url + url, json={}, headers=seat_headers(pair.b.url, "shenzhen.net")),
            )
        assert sorted(a.status_code for a in answers) == [200, 409]
        winner = next(a for a in answers if a.status_code == 200).json()["accepted_by"]
        loser = next(a for a in answers if a.status_code == 409).json()
        assert loser["error"]["accepted_by"] == winner
        accepted = await watcher.expect(of("accepted"))
        assert accepted["incident_id"] == alarm["incident_id"] and accepted["data"]["seat"] == winner
        await watcher.settle(0.3)
        assert watcher.count(of("accepted")) == 1
    finally:
        await watcher.close()
