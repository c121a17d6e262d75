"""The reporter app's one-tap silent SOS and the one-tap details after it, its home page on a
small phone and at 200 % zoom, reload and language; on a slow network the tap shows at once
that the alarm is on its way."""

from __future__ import annotations

import json
import re
import time

import httpx
from playwright.sync_api import Browser, Route, expect

from tests.e2e.reporter_app import (
    NOISE_PROBE,
    incident,
    incidents_at,
    kept,
    open_app,
    phone,
    seat,
    somewhere_in_futian,
)
from tests.support.servers import Server


def test_one_tap_sends_a_silent_alarm_with_the_position_and_makes_no_sound(
    browser: Browser, demo_server: Server
) -> None:
    here = somewhere_in_futian()
    context = phone(browser, at=here, accuracy=8)
    context.add_init_script(NOISE_PROBE)
    page = open_app(context, demo_server.url)
    expect(page.locator("#view-home [data-position]")).to_contain_text(f"{here[0]:.5f}, {here[1]:.5f}")

    page.locator("#sos").tap()

    expect(page.locator("#view-status")).to_be_visible()
    expect(page.locator("#sent-note")).to_be_visible()
    assert "dim" in (page.locator("body").get_attribute("class") or "")
    stored = kept(page, "current")
    arrived = incident(demo_server.url, stored["incident_id"])
    assert arrived["silent"] is True
    assert arrived["location"]["lat"] == here[0]
    assert arrived["location"]["lon"] == here[1]
    assert arrived["location"]["accuracy_m"] == 8
    assert arrived["centre"] == "440304"
    expect(page.locator("#steps li[data-step=received]")).to_have_class("done")

    page.locator("#quick [data-quick=domestic_violence]").tap()

    expect(page.locator("#messages .msg.mine")).to_contain_text("警情类别：家庭暴力")
    told = httpx.get(
        f"{demo_server.url}/api/v1/incidents/{stored['incident_id']}/messages", headers=seat(demo_server.url)
    )
    assert [m["text"] for m in told.json()] == ["警情类别：家庭暴力"]
    deadline = time.monotonic() + 5
    while incident(demo_server.url, stored["incident_id"])["category"] != "domestic_violence":
        assert time.monotonic() < deadline, "the tap did not classify the case"
        time.sleep(0.1)
    assert page.evaluate("window.__noise") == []
    context.close()


def test_the_sos_button_is_in_view_without_scrolling_on_a_360_by_640_phone(
    browser: Browser, demo_server: Server
) -> None:
    context = phone(browser, at=somewhere_in_futian())
    page = open_app(context, demo_server.url)
    box = page.locator("#sos").bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= 640
    assert box["width"] >= 200 and box["height"] >= 200
    assert page.evaluate("window.scrollY") == 0
    context.close()


def test_the_status_page_and_its_dim_screen_survive_a_reload(browser: Browser, demo_server: Server) -> None:
    context = phone(browser, at=somewhere_in_futian())
    page = open_app(context, demo_server.url)
    page.locator("#sos").tap()
    expect(page.locator("#view-status")).to_be_visible()
    case_number = kept(page, "current")["case_number"]

    page.reload()
    page.wait_for_selector("body[data-ready]")

    expect(page.locator("#view-status")).to_be_visible()
    expect(page.locator("#view-home")).to_be_hidden()
    expect(page.locator("#case-number")).to_contain_text(case_number)
    assert "dim" in (page.locator("body").get_attribute("class") or "")
    context.close()


def test_the_page_speaks_the_browser_language_and_switches_on_request(
    browser: Browser, demo_server: Server
) -> None:
    context = phone(browser, locale="en-US")
    page = open_app(context, demo_server.url)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#sos")).to_contain_text("Silent alarm")

    page.locator("#lang").tap()

    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#sos")).to_contain_text("一键静默报警")
    expect(page.locator("[data-category=fire]")).to_contain_text("火灾")
    page.reload()
    page.wait_for_selector("body[data-ready]")
    expect(page.locator("#sos")).to_contain_text("一键静默报警")
    context.close()


def test_the_pages_reflow_at_200_percent_zoom_without_sideways_scrolling(
    browser: Browser, demo_server: Server
) -> None:
    context = browser.new_context(
        viewport={"width": 180, "height": 320}, device_scale_factor=2, locale="zh-CN"
    )
    page = open_app(context, demo_server.url)
    for view in ("#view-home", "#view-details"):
        if view == "#view-details":
            page.locator("#open-details").click()
        expect(page.locator(view)).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 180, view
    font = page.locator("#description").evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)")
    assert font >= 16
    context.close()


def test_an_sos_with_a_remembered_phone_the_server_refuses_still_arrives_at_once_without_it(
    browser: Browser, demo_server: Server
) -> None:
    here = somewhere_in_futian()
    context = phone(browser, at=here)
    remembered = {"name": "李雷", "phone": "+12345678"}
    context.add_init_script(f"localStorage.setItem('netalarm.reporter.identity', '{json.dumps(remembered)}')")
    page = open_app(context, demo_server.url)
    expect(page.locator("#view-home [data-position]")).to_contain_text(f"{here[0]:.5f}")

    page.locator("#sos").tap()

    expect(page.locator("#view-status")).to_be_visible()
    expect(page.locator("#view-details")).to_be_hidden()
    arrived = incidents_at(demo_server.url, here)
    assert len(arrived) == 1 and arrived[0]["silent"] is True
    assert kept(page, "identity") == {"name": "李雷", "phone": ""}
    context.close()


def test_on_a_slow_network_one_tap_shows_at_once_that_the_alarm_is_on_its_way_on_a_dark_screen(
    browser: Browser, demo_server: Server
) -> None:
    context = phone(browser, at=somewhere_in_futian())
    page = open_app(context, demo_server.url)
    held: list[Route] = []

    def hold_alarms(route: Route) -> None:
        if route.request.method == "POST":
            held.append(route)  # answered below, as a slow network would, much later
        else:
            route.continue_()

    page.route("**/api/v1/alarms", hold_alarms)
    page.locator("#sos").tap()
    expect(page.locator("#view-waiting")).to_be_visible(timeout=2_000)
    expect(page.locator("#waiting-title")).to_have_text("正在发送报警…")
    expect(page.locator("body")).to_have_class(re.compile(r"\bdim\b"))
    expect(page.locator("#waiting-title")).to_be_focused()  # a screen reader says what changed
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator("#view-status")).to_be_visible()
    expect(page.locator("#sent-note")).to_be_focused()
    context.close()


LUMINANCE = """selector => {
  const colour = getComputedStyle(document.querySelector(selector)).backgroundColor;
  const [r, g, b] = colour.match(/\\d+/g).map(Number);
  const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
}"""


def test_the_dim_screen_leaves_nothing_bright_the_sos_button_the_offline_banner_or_form_controls(
    browser: Browser, demo_server: Server
) -> None:
    context = phone(browser)
    page = open_app(context, demo_server.url)
    page.evaluate("document.getElementById('net').hidden = false; document.body.classList.add('dim')")
    for selector in ("#sos", "#net", "body"):
        assert page.evaluate(LUMINANCE, selector) < 0.02, selector  # near black
    assert page.evaluate("getComputedStyle(document.body).colorScheme") == "dark"  # native controls too
    context.close()
