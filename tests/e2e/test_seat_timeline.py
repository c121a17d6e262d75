"""The timeline panel follows new entries while the seat is at its bottom, and stays where
the seat scrolled to when they went up to read; a seat's note (key L) lands on it, closed
case or not."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, Locator, expect

from tests.e2e.seat_console import act, console_on
from tests.support.http import FUTIAN, raise_alarm, reporter_headers
from tests.support.servers import Server

AT_BOTTOM = "el => el.scrollTop + el.clientHeight >= el.scrollHeight - 2"


def test_the_timeline_sticks_to_the_bottom_when_the_seat_is_there_and_stays_put_when_they_scrolled_up(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, category="violence")
    reporter = reporter_headers(alarm)
    messages = f"{base}/api/v1/alarms/{alarm['id']}/messages"
    for n in range(30):  # far more entries than the panel shows at once
        httpx.post(messages, json={"text": f"update {n}"}, headers=reporter)
    context, page = console_on(browser, base, alarm)
    timeline: Locator = page.locator("#timeline")
    reads = timeline.locator('li[data-type="message_read"]')  # the console's read receipts
    expect(reads).to_have_count(30)
    assert timeline.evaluate("el => el.scrollHeight > el.clientHeight + 200")
    timeline.evaluate("el => { el.scrollTop = el.scrollHeight; }")

    httpx.post(messages, json={"text": "they broke the door"}, headers=reporter)
    expect(timeline.locator('li[data-type="message"]').last).to_contain_text("they broke the door")
    expect(reads).to_have_count(31)
    assert timeline.evaluate(AT_BOTTOM) is True

    timeline.evaluate("el => { el.scrollTop = 40; }")
    httpx.post(messages, json={"text": "I am in the bathroom"}, headers=reporter)
    expect(timeline.locator('li[data-type="message"]').last).to_contain_text("I am in the bathroom")
    expect(reads).to_have_count(32)
    assert timeline.evaluate("el => el.scrollTop") == 40
    context.close()


def test_a_note_written_with_l_lands_on_the_timeline_even_after_the_case_is_closed(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, category="fraud")
    context, page = console_on(browser, base, alarm, locale="zh-CN")
    act(page, "x", disposition="test")
    expect(page.locator("#inc-status")).to_have_attribute("data-status", "closed")
    expect(page.locator('#actions [data-action="add_note"]')).to_be_enabled()
    page.locator("body").press("l")
    expect(page.locator("#action-dialog")).to_contain_text("仅坐席可见")
    act_dialog = page.locator("#action-dialog")
    act_dialog.locator('[name="text"]').fill("报警人回电：误拨")
    act_dialog.locator('button[value="ok"]').click()
    note = page.locator('#timeline li[data-type="seat_note"]')
    expect(note).to_contain_text("记录：报警人回电：误拨")
    expect(note).to_contain_text("futian.net")
    context.close()
