"""Position in the reporter app: live updates only with consent, and always where the phone
is; a pin dragged on the map (which shows the jurisdictions without any tile server) is sent
as a manual position with its own alarm only; an address given instead is confirmed."""

from __future__ import annotations

import time
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.e2e.reporter_app import (
    incident,
    kept,
    open_app,
    phone,
    seat,
    serious_violations,
    somewhere_in_futian,
)
from tests.support.servers import Server


def drag(page: Page, selector: str, dx: float, dy: float) -> None:
    """Drags the element (a map's pin) by (dx, dy) pixels, as a finger would."""
    pin = page.locator(selector)
    pin.scroll_into_view_if_needed()
    box = pin.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=8)
    page.mouse.up()


def trail(base: str, incident_id: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{base}/api/v1/incidents/{incident_id}/locations", headers=seat(base))
    assert answer.status_code == 200, answer.text
    points: list[dict[str, Any]] = answer.json()
    return points


def test_live_position_is_sent_while_the_alarm_is_open_only_after_consent(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    here, there = somewhere_in_futian(), somewhere_in_futian()
    context = phone(browser, at=here)
    page = open_app(context, base)
    expect(page.locator("#view-home [data-position]")).to_contain_text(f"{here[0]:.5f}")
    page.locator("#sos").tap()
    expect(page.locator("#steps li[data-step=received]")).to_have_class("done")
    incident_id = kept(page, "current")["incident_id"]
    before = trail(base, incident_id)

    context.set_geolocation({"latitude": there[0], "longitude": there[1], "accuracy": 20})
    page.wait_for_timeout(500)
    assert trail(base, incident_id) == before
    page.locator("#share-live-status").check()

    deadline = time.monotonic() + 5
    while len(trail(base, incident_id)) == len(before) and time.monotonic() < deadline:
        time.sleep(0.2)
    latest = trail(base, incident_id)[-1]
    assert (latest["lat"], latest["lon"], latest["accuracy_m"]) == (there[0], there[1], 20)
    assert kept(page, "shareLive") is True
    context.close()


def test_a_pin_dragged_on_the_outline_map_is_sent_as_a_manual_position(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    here = somewhere_in_futian()
    context = phone(browser, at=here)
    page = open_app(context, base)
    page.locator("[data-category=fire]").tap()
    pin = page.locator("#map .pin")
    expect(pin).to_be_visible()
    expect(page.locator("#map .area-label").first).to_be_visible()
    assert page.locator("#map .leaflet-tile").count() == 0
    drag(page, "#map .pin", 60, 40)
    expect(page.locator("#view-details [data-position]")).to_contain_text("手动")

    page.locator("#details-form button[type=submit]").tap()

    expect(page.locator("#view-status")).to_be_visible()
    location = incident(base, kept(page, "current")["incident_id"])["location"]
    assert location["source"] == "manual"
    assert location["lon"] > here[1] and location["lat"] < here[0]
    context.close()


def test_after_an_sos_without_a_position_the_status_page_says_so_and_sends_a_pin_placed_on_its_map(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    context = phone(browser)
    page = open_app(context, base)
    page.locator("#sos").tap()
    expect(page.locator("#steps li[data-step=received]")).to_have_class("done")
    incident_id = kept(page, "current")["incident_id"]
    assert incident(base, incident_id)["location"] is None

    notice = page.locator("#locate")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("警方还不知道您在哪里")
    page.locator("#locate-send").tap()
    expect(page.locator("#locate-error")).to_contain_text("拖动标记")
    assert serious_violations(page) == []
    page.locator("#lang").tap()
    expect(notice).to_contain_text("The police do not know where you are")
    expect(page.locator("#locate-error")).to_contain_text("drag the pin")
    page.locator("#lang").tap()
    drag(page, "#locate-map .pin", 40, 30)
    page.locator("#locate-address").fill("华强北路 赛格广场 东门")
    page.locator("#locate-send").tap()

    expect(notice).to_be_hidden()
    location = incident(base, incident_id)["location"]
    assert location is not None and location["source"] == "manual"
    assert trail(base, incident_id)[-1]["source"] == "manual"
    expect(page.locator("#messages .msg.mine")).to_contain_text("地址：华强北路 赛格广场 东门")
    context.close()


def test_a_pin_serves_its_own_alarm_only_and_following_the_reporter_sends_where_the_phone_is(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    here, there = somewhere_in_futian(), somewhere_in_futian()
    context = phone(browser, at=here)
    page = open_app(context, base)
    page.locator("[data-category=fire]").tap()
    expect(page.locator("#map .pin")).to_be_visible()
    drag(page, "#map .pin", 60, 40)
    page.locator("#share-live").check()
    page.locator("#details-form button[type=submit]").tap()
    expect(page.locator("#view-status")).to_be_visible()
    first = kept(page, "current")["incident_id"]  # its alarm carried the pin (the test above)

    context.set_geolocation({"latitude": there[0], "longitude": there[1], "accuracy": 20})
    deadline = time.monotonic() + 15
    while (
        not trail(base, first) or trail(base, first)[-1]["lat"] != there[0]
    ) and time.monotonic() < deadline:
        time.sleep(0.2)
    followed = trail(base, first)
    assert (followed[-1]["lat"], followed[-1]["lon"]) == (there[0], there[1])
    assert {p["source"] for p in followed} == {"gps"}  # where the phone is, never the old pin

    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("#new-alarm").tap()
    page.locator("#sos").tap()
    expect(page.locator("#view-status")).to_be_visible()
    second = kept(page, "current")["incident_id"]
    assert second != first
    location = incident(base, second)["location"]
    assert (location["lat"], location["lon"], location["source"]) == (there[0], there[1], "gps")
    context.close()


def test_an_address_given_for_an_sos_without_a_position_is_confirmed_in_the_box(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    context = phone(browser)
    page = open_app(context, base)
    page.locator("#sos").tap()
    notice = page.locator("#locate")
    expect(notice).to_be_visible()
    page.locator("#locate-address").fill("深南大道 6008 号")
    page.locator("#locate-send").tap()
    expect(page.locator("#locate-done")).to_have_text(
        "地址已发给接警员。如能在地图上标出位置，请再发送一次。"
    )
    expect(page.locator("#locate-title")).to_have_text("警方已收到您的地址，但还没有地图位置")
    expect(page.locator("#messages .msg.mine")).to_contain_text("深南大道 6008 号")
    page.locator("#lang").tap()
    expect(page.locator("#locate-done")).to_contain_text("Address sent to the operator")
    context.close()
