"""The reporter's status page follows the seat live: acceptance, messages both ways, receipts,
a report joined to another case; and it goes live again when the server no longer knows the
last event it saw."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Dialog, Request, WebSocket, expect

from netalarm.incidents.lifecycle import DISPOSITIONS
from tests.e2e.network import (
    WEBSOCKET_REFUSED,
    first_stream_shows_an_unknown_event,
    wait_for_resumption_from_the_unknown_event,
)
from tests.e2e.reporter_app import incident, kept, open_app, phone, seat, seat_messages, somewhere_in_futian
from tests.support.http import FUTIAN, raise_alarm
from tests.support.servers import Server, demo_with

HEARTBEAT_S = 0.25


@pytest.fixture(scope="module")
def beating_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A demo server whose push connections send a heartbeat four times a second."""
    with demo_with(tmp_path_factory.mktemp("beating"), NETALARM_WS_HEARTBEAT_S=str(HEARTBEAT_S)) as server:
        yield server


def test_acceptance_and_chat_reach_the_reporter_live_with_receipts(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    context = phone(browser, at=somewhere_in_futian())
    page = open_app(context, base)
    page.locator("#sos").tap()
    expect(page.locator("#view-status")).to_be_visible()
    expect(page.locator("#live-mode")).to_have_text("实时更新")
    incident_id = kept(page, "current")["incident_id"]
    headers = seat(base)

    accepted = httpx.post(f"{base}/api/v1/incidents/{incident_id}/actions/accept", json={}, headers=headers)
    assert accepted.status_code == 200, accepted.text
    expect(page.locator("#steps li[data-step=accepted]")).to_have_class("done")
    expect(page.locator("#steps li[data-step=accepted]")).to_have_attribute("aria-current", "step")
    expect(page.locator("#status-announce[role=status]")).to_have_text(
        re.compile(r"^警情进展：已受理，\S+。$")
    )

    said = httpx.post(
        f"{base}/api/v1/incidents/{incident_id}/messages",
        json={"text": "收到。您现在安全吗？"},
        headers=headers,
    )
    assert said.status_code == 201, said.text
    expect(page.locator("#messages .msg.theirs")).to_contain_text("收到。您现在安全吗？")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if seat_messages(base, incident_id, headers)[0]["read_at"]:
            break
        time.sleep(0.2)
    assert seat_messages(base, incident_id, headers)[0]["read_at"], "the reporter's read receipt never came"

    page.locator("#chat-text").fill("安全，我在大厦北门")
    page.locator("#chat-form button[type=submit]").tap()
    mine = page.locator("#messages .msg.mine")
    expect(mine).to_contain_text("安全，我在大厦北门")
    reply = next(m for m in seat_messages(base, incident_id, headers) if m["from"] == "reporter")
    assert reply["text"] == "安全，我在大厦北门"
    read = httpx.post(f"{base}/api/v1/incidents/{incident_id}/messages/{reply['id']}/read", headers=headers)
    assert read.status_code == 200, read.text
    expect(mine.locator(".meta")).to_have_attribute("data-receipt", "read")
    expect(mine.locator(".meta")).to_contain_text("已读")
    context.close()


def close_incident(base: str, incident_id: str, disposition: str = "handled") -> None:
    """The seat takes the incident through to closed, as a real one would go."""
    headers = seat(base)
    steps = [("accept", {}), ("dispatch", {"note": "unit 7"}), ("resolve", {"outcome": "found, helped"})]
    for action, body in [*steps, ("close", {"disposition": disposition})]:
        url = f"{base}/api/v1/incidents/{incident_id}/actions/{action}"
        answer = httpx.post(url, json=body, headers=headers)
        assert answer.status_code == 200, answer.text


def test_a_closed_case_shows_its_outcome_in_words_and_offers_no_quick_categories_or_live_position(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    context = phone(browser, at=somewhere_in_futian())
    page = open_app(context, base)
    page.locator("#sos").tap()
    expect(page.locator("#steps li[data-step=received]")).to_have_class("done")
    expect(page.locator("#quick")).to_be_visible()
    expect(page.locator("#share-live-status")).to_be_visible()

    close_incident(base, kept(page, "current")["incident_id"])

    expect(page.locator("#steps li[data-step=closed]")).to_have_class("done")
    expect(page.locator("#disposition")).to_have_text("结案结论：已妥善处置")
    expect(page.locator("#quick")).to_be_hidden()
    expect(page.locator("#share-live-status")).to_be_hidden()
    expect(page.locator("#chat-form")).to_be_hidden()
    page.locator("#lang").tap()
    expect(page.locator("#disposition")).to_have_text("Outcome: handled")
    strings = page.evaluate("import('/static/reporter/strings.js').then((m) => m.STRINGS)")
    for lang in ("zh", "en"):
        assert [d for d in DISPOSITIONS if f"disposition.{d}" not in strings[lang]] == [], lang
    context.close()


def test_a_remembered_closed_case_opens_on_the_home_page_where_one_tap_raises_a_new_sos(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    context = phone(browser, at=somewhere_in_futian())
    page = open_app(context, base)
    dialogs: list[str] = []

    def answer(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", answer)
    page.locator("#sos").tap()
    expect(page.locator("#steps li[data-step=received]")).to_have_class("done")
    old = kept(page, "current")
    close_incident(base, old["incident_id"])
    expect(page.locator("#steps li[data-step=closed]")).to_have_class("done")
    page.locator("#new-alarm").tap()
    expect(page.locator("#view-home")).to_be_visible()
    assert dialogs == []

    page.reload()
    page.wait_for_selector("body[data-ready]")

    expect(page.locator("#view-home")).to_be_visible()
    expect(page.locator("#view-status")).to_be_hidden()
    expect(page.locator("#last-case")).to_contain_text(old["case_number"])
    page.locator("#last-case").tap()
    expect(page.locator("#view-status")).to_be_visible()
    expect(page.locator("#disposition")).to_have_text("结案结论：已妥善处置")
    page.locator("#new-alarm").tap()
    page.locator("#sos").tap()
    expect(page.locator("#view-status")).to_be_visible()
    expect(page.locator("#steps li[data-step=received]")).to_have_class("done")
    assert kept(page, "current")["incident_id"] != old["incident_id"]
    assert incident(base, kept(page, "current")["incident_id"])["status"] == "received"
    assert dialogs == []
    context.close()


def test_with_websockets_refused_the_status_page_is_live_over_events(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    context = phone(browser, at=somewhere_in_futian())
    context.add_init_script(WEBSOCKET_REFUSED)
    page = open_app(context, base)
    page.locator("#sos").tap()
    expect(page.locator("#view-status")).to_be_visible()
    expect(page.locator("#live-mode")).to_have_text("实时更新")  # not "updated every few seconds"
    incident_id = kept(page, "current")["incident_id"]
    headers = seat(base)
    accepted = httpx.post(f"{base}/api/v1/incidents/{incident_id}/actions/accept", json={}, headers=headers)
    assert accepted.status_code == 200, accepted.text
    said = httpx.post(
        f"{base}/api/v1/incidents/{incident_id}/messages", json={"text": "民警已出发"}, headers=headers
    )
    assert said.status_code == 201, said.text
    # Pushed: well inside the 30 s the page waits between reads while it is live.
    expect(page.locator("#messages .msg.theirs")).to_contain_text("民警已出发", timeout=5_000)
    expect(page.locator("#steps li[data-step=accepted]")).to_have_class("done", timeout=5_000)
    context.close()


@pytest.mark.parametrize("carrier", ["websocket", "event stream"])
def test_heartbeats_keep_the_status_page_live_without_reading_the_alarm_again(
    browser: Browser, beating_server: Server, carrier: str
) -> None:
    base = beating_server.url
    context = phone(browser, at=somewhere_in_futian())
    if carrier == "event stream":
        context.add_init_script(WEBSOCKET_REFUSED)
    page = open_app(context, base)
    reads: list[str] = []
    heartbeats: list[str] = []
    page.on("request", lambda request: reads.append(request.url) if _is_alarm_read(request) else None)
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda frame: _note_heartbeat(ws, frame, heartbeats)),
    )
    page.locator("#sos").tap()
    expect(page.locator("#live-mode")).to_have_text("实时更新")
    page.wait_for_timeout(300)  # the reads of going live are answered
    reads.clear()
    heartbeats.clear()

    page.wait_for_timeout(2_000)  # eight heartbeats

    if carrier == "websocket":
        assert len(heartbeats) >= 4
    assert reads == []
    expect(page.locator("#live-mode")).to_have_text("实时更新")
    # An event still reads the alarm afresh.
    incident_id = kept(page, "current")["incident_id"]
    accepted = httpx.post(
        f"{base}/api/v1/incidents/{incident_id}/actions/accept", json={}, headers=seat(base)
    )
    assert accepted.status_code == 200, accepted.text
    expect(page.locator("#steps li[data-step=accepted]")).to_have_class("done", timeout=5_000)
    assert reads != []
    context.close()


def test_a_status_page_resuming_from_an_event_the_server_does_not_know_starts_afresh_and_goes_live(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    context = phone(browser, at=somewhere_in_futian())
    context.add_init_script(WEBSOCKET_REFUSED)
    streams = first_stream_shows_an_unknown_event(context, "**/api/v1/alarms/*/events*", "status")
    page = open_app(context, base)
    page.locator("#sos").tap()
    expect(page.locator("#view-status")).to_be_visible()
    wait_for_resumption_from_the_unknown_event(page, streams, within_s=20)
    # Refused (422 unknown_cursor), the page drops the cursor instead of retrying it for ever.
    expect(page.locator("#live-mode")).to_have_text("实时更新", timeout=20_000)
    assert "after=" not in streams[-1]
    context.close()


def _is_alarm_read(request: Request) -> bool:
    return (
        request.method == "GET" and re.search(r"/api/v1/alarms/[^/]+$", request.url.split("?")[0]) is not None
    )


def _note_heartbeat(ws: WebSocket, frame: str | bytes, into: list[str]) -> None:
    if isinstance(frame, str) and '"type":"heartbeat"' in frame.replace(" ", ""):
        into.append(ws.url)


def test_a_report_joined_to_another_case_says_so_at_once_and_takes_its_case_number(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    context = phone(browser, at=somewhere_in_futian())
    page = open_app(context, base)
    page.locator("#sos").tap()
    expect(page.locator("#live-mode")).to_have_text("实时更新")
    mine = kept(page, "current")
    headers = seat(base)
    other = raise_alarm(base, FUTIAN, category="violence")
    merged = httpx.post(
        f"{base}/api/v1/incidents/{mine['incident_id']}/actions/merge",
        json={"into": other["incident_id"]},
        headers=headers,
    )
    assert merged.status_code == 200, merged.text

    note = page.locator("#joined-note")
    joined = f"现为案件 {other['case_number']}（原编号 {mine['case_number']}）。"
    # Pushed: well before the page's 30 s safety poll.
    expect(note).to_have_text(f"您的报警已与同一事件的其他报警合并，{joined}", timeout=5_000)
    expect(page.locator("#case-number")).to_contain_text(other["case_number"])
    assert kept(page, "current")["case_number"] == other["case_number"]
    context.close()
