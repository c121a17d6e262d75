"""A reporter cancels an alarm from the status page (sent by mistake, or safe now) with a
second tap that says why; the seat console tells it at once — a note, a mark in the queue,
a banner on the case asking the seat to make sure — and the case stays open until closed."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, expect

from tests.e2e.reporter_app import kept, open_app, phone, serious_violations, somewhere_in_futian
from tests.e2e.reporter_app import screenshot as reporter_screenshot
from tests.e2e.seat_console import act, desk, open_incident, row, sign_in
from tests.e2e.seat_console import screenshot as seat_screenshot
from tests.support.servers import Server


def test_a_cancelled_sos_is_told_to_the_seat_which_still_closes_it(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    reporter_context = phone(browser, at=somewhere_in_futian())
    reporter = open_app(reporter_context, base)
    reporter.locator("#sos").tap()
    expect(reporter.locator("#withdraw-open")).to_be_visible()
    alarm = kept(reporter, "current")
    seat_context = desk(browser)
    seat = sign_in(seat_context, base, "futian.net")
    case_number = httpx.get(
        f"{base}/api/v1/alarms/{alarm['id']}", headers={"Authorization": f"Bearer {alarm['reporter_token']}"}
    ).json()["case_number"]
    open_incident(seat, alarm["incident_id"], case_number)
    expect(seat.locator("#inc-withdrawn")).to_be_hidden()

    reporter.locator("#withdraw-open").tap()
    ask = reporter.locator("#withdraw-ask")
    expect(ask).to_be_visible()
    expect(ask).to_contain_text("警方可能仍会联系您")
    assert serious_violations(reporter) == []
    reporter_screenshot(reporter, "status-withdraw-zh", full_page=True)
    ask.locator("[data-reason=mistake]").tap()
    note = reporter.locator("#withdrawn-note")
    expect(note).to_contain_text("误触发送")
    expect(note).to_contain_text("警方可能仍会联系您")
    expect(reporter.locator("#withdraw-open")).to_be_hidden()
    expect(ask).to_be_hidden()

    toast = seat.locator("#toasts .toast.left", has_text=case_number)
    expect(toast).to_contain_text("the reporter cancelled the alarm (sent by mistake)")
    expect(row(seat, alarm["incident_id"]).locator(".withdrawn")).to_be_visible()
    banner = seat.locator("#inc-withdrawn")
    expect(banner).to_contain_text("The reporter cancelled this alarm at")
    expect(banner).to_contain_text("Make sure they are safe")
    expect(seat.locator("#inc-status")).to_have_attribute("data-status", "received")
    seat_screenshot(seat, "incident-withdrawn-en")

    act(seat, "x", disposition="false_alarm")
    expect(seat.locator("#inc-status")).to_have_attribute("data-status", "closed")
    expect(banner).not_to_contain_text("Make sure they are safe")
    expect(reporter.locator("#steps li[data-step=closed]")).to_have_class("done")
    expect(note).to_contain_text("误触发送")
    expect(note).not_to_contain_text("警方可能仍会联系您")
    seat_context.close()
    reporter_context.close()


def test_keeping_the_alarm_sends_nothing_and_the_page_speaks_the_chosen_language(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    context = phone(browser, at=somewhere_in_futian(), locale="en-US")
    page = open_app(context, base)
    page.locator("#sos").tap()
    page.locator("#withdraw-open").tap()
    expect(page.locator("#withdraw-ask")).to_contain_text("Why are you cancelling?")
    page.locator("#withdraw-keep").tap()
    expect(page.locator("#withdraw-ask")).to_be_hidden()
    expect(page.locator("#withdraw-open")).to_be_visible()
    alarm = kept(page, "current")
    status = httpx.get(
        f"{base}/api/v1/alarms/{alarm['id']}", headers={"Authorization": f"Bearer {alarm['reporter_token']}"}
    ).json()
    assert status["withdrawn_at"] is None

    page.locator("#withdraw-open").tap()
    page.locator("#withdraw-ask [data-reason=safe]").tap()
    expect(page.locator("#withdrawn-note")).to_contain_text("safe now")
    page.locator("#lang").tap()
    expect(page.locator("#withdrawn-note")).to_contain_text("已安全")
    context.close()
