"""Case history: a seat finds a closed case of its centre by words or case number and by day,
opens it in the console, and no single key acts on a case while another panel is in front."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.reporter_app import serious_violations
from tests.e2e.seat_console import console_on, desk, screenshot, sign_in
from tests.support.http import FUTIAN, raise_alarm, seat_headers
from tests.support.servers import Server


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_closed_case_is_found_by_words_and_day_and_opens_in_the_console(
    browser: Browser, demo_server: Server, locale: str
) -> None:
    base = demo_server.url
    word = f"scooter{time.time_ns()}"
    alarm = raise_alarm(base, FUTIAN, description=f"Red {word} taken from the gate")
    closed = httpx.post(
        f"{base}/api/v1/incidents/{alarm['incident_id']}/actions/close",
        json={"disposition": "test"},
        headers=seat_headers(base, "futian.net"),
    )
    assert closed.status_code == 200, closed.text
    context = desk(browser, locale)
    page = sign_in(context, base, "futian.net")
    page.locator("#history-tab").click()
    panel = page.locator("#history")
    expect(panel).to_be_visible()
    expect(panel.locator("input[name=q]")).to_be_focused()

    panel.locator("input[name=q]").fill(word.upper())
    panel.locator("select[name=status]").select_option("closed")
    panel.locator("form button[type=submit]").click()
    rows = panel.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(alarm["case_number"])
    expect(rows.first).to_contain_text({"en-US": "closed", "zh-CN": "已结案"}[locale])
    expect(panel.locator(".history-count")).to_contain_text("1")
    assert serious_violations(page) == []
    screenshot(page, f"history-{locale}")

    today = datetime.now(UTC).date()
    panel.locator("input[name=until]").fill((today - timedelta(days=1)).isoformat())
    panel.locator("form button[type=submit]").click()
    expect(rows).to_have_count(0)
    panel.locator("input[name=until]").fill(today.isoformat())
    panel.locator("input[name=since]").fill(today.isoformat())
    panel.locator("form button[type=submit]").click()
    expect(rows).to_have_count(1)

    rows.first.click()
    expect(page.locator("#workspace")).to_be_visible()
    expect(page.locator("#inc-case")).to_have_text(alarm["case_number"])
    expect(page.locator("#inc-status")).to_have_attribute("data-status", "closed")
    context.close()


def test_a_key_does_nothing_to_the_open_case_while_the_history_is_in_front(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, category="fraud")
    context, page = console_on(browser, base, alarm)
    page.locator("#history-tab").click()
    page.locator("#history h2").click()
    page.keyboard.press("a")
    page.locator("#history-tab").click()
    expect(page.locator("#workspace")).to_be_visible()
    expect(page.locator("#inc-status")).to_have_attribute("data-status", "received")
    incident = httpx.get(
        f"{base}/api/v1/incidents/{alarm['incident_id']}", headers=seat_headers(base, "futian.net")
    ).json()
    assert incident["status"] == "received"
    page.keyboard.press("a")  # with the console in front, the same key accepts
    expect(page.locator("#inc-status")).to_have_attribute("data-status", "accepted")
    context.close()
