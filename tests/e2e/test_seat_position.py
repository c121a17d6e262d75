"""The incident view says how old the reporter's position is, counting up, and a live update
from the reporter makes it fresh again."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.e2e.seat_console import console_on
from tests.support.http import FUTIAN, raise_alarm, reporter_post
from tests.support.servers import Server


def test_the_position_says_when_it_was_fixed_and_a_live_update_renews_it(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, category="violence")
    context, page = console_on(browser, base, alarm)
    age = page.locator("#position-age")
    expect(age).to_have_text(re.compile(r"^as of \d\d:\d\d:\d\d \(\d+ s ago\)$"))
    page.clock.install()  # from here the page's time is the test's to move
    page.clock.fast_forward("03:05")
    expect(age).to_contain_text("3 min ago")
    first = age.inner_text()

    moved = reporter_post(
        base, alarm, "locations", {"lat": 22.5440, "lon": 114.0590, "accuracy_m": 8, "source": "gps"}
    )
    assert moved.status_code == 201, moved.text
    expect(page.locator("#position")).to_contain_text("22.544000, 114.059000")
    expect(age).not_to_have_text(first)  # the update's own time (the page's clock is 3 min ahead)
    context.close()
