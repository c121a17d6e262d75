"""The details form on a phone: a phone number the server would refuse is marked beside its
field (in the page's language, in view) before anything is sent, and can be left empty; a
field the server still refuses is marked the same way; a slow send shows that it is sending,
and an SOS tap meanwhile shows that alarm instead of doing nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Request, Route, expect

from netalarm.accounts.validation import normalise_phone
from netalarm.core.errors import Invalid
from tests.e2e.reporter_app import (
    incident,
    incidents_at,
    kept,
    open_app,
    phone,
    serious_violations,
    somewhere_in_futian,
)
from tests.support.servers import Server


def _alarm_posts(requests: list[Request]) -> list[Request]:
    return [r for r in requests if r.method == "POST" and r.url.endswith("/api/v1/alarms")]


def test_a_bad_phone_number_is_marked_beside_the_field_in_view_and_nothing_is_sent_until_cleared(
    browser: Browser, demo_server: Server
) -> None:
    here = somewhere_in_futian()
    context = phone(browser, at=here)
    page = open_app(context, demo_server.url)
    requests: list[Request] = []
    page.on("request", lambda r: requests.append(r))
    page.locator("[data-category=fire]").tap()
    page.locator("#description").fill("楼道冒烟")
    page.locator("#phone").fill("123")

    page.locator("#send-details").tap()

    expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#phone")).to_be_focused()
    note = page.locator("#phone-error")
    expect(note).to_be_visible()
    expect(note).to_contain_text("电话号码不对")
    expect(note).to_contain_text("留空")
    expect(note).to_be_in_viewport()
    expect(page.locator("#view-details")).to_be_visible()
    assert serious_violations(page) == []
    assert _alarm_posts(requests) == []
    assert kept(page, "pending") is None

    page.locator("#phone").fill("")
    expect(page.locator("#phone-error")).to_be_hidden()
    expect(page.locator("#phone")).not_to_have_attribute("aria-invalid", "true")
    page.locator("#send-details").tap()

    expect(page.locator("#view-status")).to_be_visible()
    arrived = incidents_at(demo_server.url, here)
    assert len(arrived) == 1 and arrived[0]["category"] == "fire"
    context.close()


def test_a_phone_number_the_server_refuses_is_marked_beside_the_field_in_english_and_in_view(
    browser: Browser, demo_server: Server
) -> None:
    here = somewhere_in_futian()
    context = phone(browser, at=here, locale="en-US")
    page = open_app(context, demo_server.url)
    page.locator("[data-category=traffic]").tap()
    page.locator("#phone").fill("+12345678")

    page.locator("#send-details").tap()

    note = page.locator("#phone-error")
    expect(note).to_be_visible()
    expect(note).to_contain_text("leave it empty")
    expect(note).to_be_in_viewport()
    expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#details-error")).to_be_hidden()
    expect(page.locator("#send-details")).to_be_enabled()
    assert incidents_at(demo_server.url, here) == []

    page.locator("#phone").fill("")
    page.locator("#send-details").tap()
    expect(page.locator("#view-status")).to_be_visible()
    assert len(incidents_at(demo_server.url, here)) == 1
    context.close()


def test_a_slow_send_shows_sending_and_an_sos_tap_meanwhile_shows_that_alarm(
    browser: Browser, demo_server: Server
) -> None:
    here = somewhere_in_futian()
    context = phone(browser, at=here)
    page = open_app(context, demo_server.url)
    held: list[Route] = []
    page.route(
        "**/api/v1/alarms",
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    page.locator("[data-category=violence]").tap()
    page.locator("#description").fill("有人持刀")

    page.locator("#send-details").tap()

    expect(page.locator("#send-details")).to_be_disabled()
    expect(page.locator("#send-details")).to_have_text("正在发送…")
    page.locator("#details-back").tap()
    page.locator("#sos").tap()
    expect(page.locator("#view-waiting")).to_be_visible()
    expect(page.locator("#waiting-title")).to_have_text("正在发送报警…")
    assert len(held) == 1

    held[0].continue_()

    expect(page.locator("#view-status")).to_be_visible()
    arrived = incident(demo_server.url, kept(page, "current")["incident_id"])
    assert arrived["category"] == "violence" and arrived["silent"] is False
    assert len(incidents_at(demo_server.url, here)) == 1
    context.close()


def test_the_page_never_refuses_a_phone_number_the_server_accepts(
    browser: Browser, demo_server: Server
) -> None:
    accepted = [
        "13800138000",
        "138 0013 8000",
        "１３８００１３８０００",
        "+86 138 0013 8000",
        "008613800138000",
        "010-12345678",
        "（0755）83001234",
        "4008001234",
        "+1 415 555 2671",
        "+44 20 7946 0958",
    ]
    refused = ["123", "110", "12345678", "1380013800", "phone"]
    assert all(normalise_phone(number) for number in accepted)
    for number in refused:
        with pytest.raises(Invalid):
            normalise_phone(number)
    context = phone(browser)
    page = open_app(context, demo_server.url)
    check = "(numbers) => import('/static/reporter/fields.js').then((m) => numbers.map(m.phoneLooksValid))"

    assert page.evaluate(check, accepted) == [True] * len(accepted)
    assert page.evaluate(check, refused) == [False] * len(refused)
    context.close()
