"""The closed loop between a reporter's phone and a seat's console, in two browser contexts:
a silent SOS with a photo reaches the queue at once, the seat accepts, chats, dispatches,
resolves and closes; the reporter sees every step; the record is whole and verifies."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Browser, expect

from tests.e2e.reporter_app import kept, open_app, phone, somewhere_in_futian
from tests.e2e.seat_console import act, desk, open_incident, row, sign_in
from tests.support.http import seat_headers
from tests.support.servers import Server


def test_silent_sos_with_a_photo_runs_the_whole_loop_and_leaves_a_complete_report(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    seat_context = desk(browser)
    console = sign_in(seat_context, base, "futian.net")
    console.evaluate("window.__sameDocument = true")
    phone_context = phone(browser, at=somewhere_in_futian(), media=True)
    reporter = open_app(phone_context, base)

    reporter.locator("#sos").tap()
    expect(reporter.locator("#view-status")).to_be_visible()
    alarm = kept(reporter, "current")
    incident_id = alarm["incident_id"]
    queued = row(console, incident_id)
    expect(queued).to_be_visible(timeout=2_000)
    expect(queued.locator(".silent")).to_be_visible()
    assert queued.get_attribute("data-priority") == "P1"
    case_number = queued.get_attribute("data-case") or ""

    reporter.locator('[data-media="chat"] [data-kind="photo"]').tap()  # the (fake) camera
    reporter.locator("#capture .capture-go").tap()
    expect(reporter.locator("#uploads .upload[data-state=done]")).to_have_count(1)
    expect(queued.locator(".media-count")).to_have_text("1")
    expect(queued.locator(".unread-count")).to_be_visible()

    open_incident(console, incident_id, case_number)
    expect(console.locator("#media figure img")).to_be_visible()
    expect(console.locator("#inc-facts .silent")).to_be_visible()

    console.locator("body").press("a")
    expect(console.locator("#inc-status")).to_have_attribute("data-status", "accepted")
    expect(reporter.locator("#steps li[data-step=accepted]")).to_have_class("done")

    console.locator(".quick [data-quick=quick_safe]").click()
    expect(console.locator(".messages .msg.from-seat")).to_contain_text("Are you safe to talk?")
    expect(reporter.locator("#messages .msg.theirs")).to_contain_text("Are you safe to talk?")
    expect(console.locator(".messages .msg.from-seat .receipt")).to_contain_text("read")
    reporter.locator("#chat-text").fill("Yes, hiding in the bathroom")
    reporter.locator("#chat-form button[type=submit]").tap()
    expect(console.locator(".messages .msg.from-reporter").last).to_contain_text(
        "Yes, hiding in the bathroom"
    )

    act(console, "d", note="Patrol 12 sent to the address")
    expect(console.locator("#inc-status")).to_have_attribute("data-status", "dispatched")
    expect(reporter.locator("#steps li[data-step=dispatched]")).to_have_class("done")
    act(console, "r", outcome="Suspect detained, reporter safe")
    expect(console.locator("#inc-status")).to_have_attribute("data-status", "resolved")
    expect(reporter.locator("#steps li[data-step=resolved]")).to_have_class("done")
    act(console, "x", disposition="handled")
    expect(console.locator("#inc-status")).to_have_attribute("data-status", "closed")
    expect(reporter.locator("#steps li[data-step=closed]")).to_have_class("done")
    expect(queued).to_have_count(0)
    expect(console.locator("#chain")).to_contain_text("chain verifies")
    assert console.evaluate("window.__sameDocument") is True  # never reloaded

    with seat_context.expect_page() as opened:
        console.locator("#report-button").click()
    report = opened.value
    report.wait_for_url(re.compile(r".*/report\.html\?.*"))  # the tab opens blank, then the signed link
    report.wait_for_load_state()
    text = report.locator("body").inner_text()
    steps = [
        "Alarm received through web",
        "Accepted by seat futian.net",
        "Message from the seat: “Are you safe to talk?”",
        "Message from the reporter: “Yes, hiding in the bathroom”",
        "Dispatched. Note: Patrol 12 sent to the address",
        "Resolved. Outcome: Suspect detained, reporter safe",
        "Closed as handled.",
    ]
    positions = [text.index(step) for step in steps]
    assert positions == sorted(positions), "the report tells the steps out of order"
    headers = seat_headers(base, "futian.net")
    photo = httpx.get(f"{base}/api/v1/incidents/{incident_id}/media", headers=headers).json()[0]
    assert photo["sha256"] in report.locator("#media").inner_text()
    assert case_number in text and "hash chain verifies" in text
    verified = httpx.get(f"{base}/api/v1/incidents/{incident_id}/timeline/verify", headers=headers).json()
    assert verified["ok"] is True
    seat_context.close()
    phone_context.close()
