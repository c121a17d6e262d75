"""The console under real trouble says what it knows: with no connection the header says
offline since when and an action says it may not have been taken; a lost race names the
case's status, not a seat; a double Enter sends one message; a closed case offers no quick
replies; a refusal reads in the console's language."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Browser, expect

from tests.e2e.seat_console import act, console_on
from tests.support.http import FUTIAN, raise_alarm, seat_headers
from tests.support.servers import Server, demo_with


def test_without_a_connection_the_console_says_offline_and_an_action_may_not_have_been_taken(
    browser: Browser, tmp_path: Path
) -> None:
    with demo_with(tmp_path) as server:
        alarm = raise_alarm(server.url, FUTIAN, category="fraud")
        context, page = console_on(browser, server.url, alarm)
        mode = page.locator("#mode")
        expect(mode).to_have_attribute("data-mode", "live")

        server.stop()
        expect(mode).to_have_attribute("data-mode", "offline")
        expect(mode).to_contain_text("OFFLINE since")
        page.locator("body").press("a")
        expect(page.locator("#inc-message")).to_contain_text("the action may not have been taken")

        server.start()
        expect(mode).to_have_attribute("data-mode", "live", timeout=30_000)
        expect(mode).to_have_text("live")
        context.close()


def test_a_resolve_that_lost_the_race_names_the_cases_status_not_a_seat(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, category="fraud")
    context, page = console_on(browser, base, alarm)
    page.locator("body").press("a")
    expect(page.locator("#inc-status")).to_have_attribute("data-status", "accepted")
    act(page, "d", note="unit 3")
    expect(page.locator("#inc-status")).to_have_attribute("data-status", "dispatched")
    other = seat_headers(base, "futian.sup")
    resolved = httpx.post(
        f"{base}/api/v1/incidents/{alarm['incident_id']}/actions/resolve",
        json={"outcome": "done"},
        headers=other,
    )
    assert resolved.status_code == 200, resolved.text
    page.evaluate(
        "document.querySelector('#inc-status').dataset.status = 'dispatched'"
    )  # as if not yet refreshed
    page.locator('#actions [data-action="resolve"]').click()
    dialog = page.locator("#action-dialog")
    dialog.locator('[name="outcome"]').fill("found him")
    dialog.locator('button[value="ok"]').click()
    message = page.locator("#inc-message")
    expect(message).to_contain_text("not possible now, the case is resolved")
    expect(message).not_to_contain_text("Already accepted")
    context.close()


def test_a_double_enter_sends_one_message_and_a_closed_case_offers_no_quick_replies(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, category="fraud")
    context, page = console_on(browser, base, alarm)
    box = page.locator(".chat textarea")
    box.fill("Are you hurt?")
    box.press("Enter")
    box.press("Enter")
    expect(page.locator(".chat .msg.from-seat")).to_have_count(1)
    headers = seat_headers(base, "futian.net")
    url = f"{base}/api/v1/incidents/{alarm['incident_id']}/messages"
    page.wait_for_timeout(500)  # a second request, if one went, has landed by now
    assert [m["text"] for m in httpx.get(url, headers=headers).json()] == ["Are you hurt?"]

    box.press("Escape")  # leave the box so the keys act
    act(page, "x", disposition="false_alarm")
    expect(page.locator("#inc-status")).to_have_attribute("data-status", "closed")
    quick = page.locator(".chat .quick button")
    expect(quick.first).to_be_disabled()
    for index in range(quick.count()):
        expect(quick.nth(index)).to_be_disabled()
    context.close()


def test_a_refused_note_says_why_in_chinese(browser: Browser, demo_server: Server) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, category="fraud")
    context, page = console_on(browser, base, alarm, locale="zh-CN")
    act(page, "l", text="   ")
    expect(page.locator("#inc-message")).to_have_text("操作被拒绝：请先填写内容（不能为空，也不能过长）")
    context.close()
