"""Replay of a case from its timeline: after the case ran its course (report, position
updates, messages, acceptance, dispatch, closure), the seat steps or plays through it and the
panel shows the case as it stood after each entry — status, who had it, the position and its
trail, the conversation so far — in the console's language."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.reporter_app import serious_violations
from tests.e2e.seat_console import desk, screenshot, sign_in
from tests.support.http import FUTIAN, raise_alarm, reporter_post, seat_headers
from tests.support.servers import Server

MOVED = (22.5402, 114.0563)


def ran_its_course(base: str) -> dict[str, str]:
    """An alarm in Futian that moved once, exchanged two messages and was closed."""
    alarm = raise_alarm(
        base, FUTIAN, category="violence", description="two men fighting at the gate", silent=True
    )
    seat = seat_headers(base, "futian.net")
    incident = f"{base}/api/v1/incidents/{alarm['incident_id']}"
    moved = {"lat": MOVED[0], "lon": MOVED[1], "accuracy_m": 9, "source": "gps"}
    assert reporter_post(base, alarm, "locations", moved).status_code in (200, 201)
    assert reporter_post(base, alarm, "messages", {"text": "they have a knife"}).status_code == 201
    assert httpx.post(f"{incident}/actions/accept", json={}, headers=seat).status_code == 200
    said = httpx.post(f"{incident}/messages", json={"text": "Police are on the way"}, headers=seat)
    assert said.status_code == 201
    for action, body in [
        ("dispatch", {"note": "car 12"}),
        ("resolve", {"outcome": "both detained"}),
        ("close", {"disposition": "handled"}),
    ]:
        assert httpx.post(f"{incident}/actions/{action}", json=body, headers=seat).status_code == 200
    return alarm


def case_open(
    browser: Browser, base: str, alarm: dict[str, str], locale: str = "en-US"
) -> tuple[BrowserContext, Page]:
    """A desk of Futian's seat with the (closed, so not queued) case open, by its link."""
    context = desk(browser, locale)
    page = sign_in(context, base, "futian.net", path=f"/seat#{alarm['incident_id']}")
    expect(page.locator("#inc-case")).to_have_text(alarm["case_number"])
    return context, page


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_stepping_through_a_closed_case_shows_it_as_it_stood_after_each_entry(
    browser: Browser, demo_server: Server, locale: str
) -> None:
    zh = locale == "zh-CN"
    alarm = ran_its_course(demo_server.url)
    context, page = case_open(browser, demo_server.url, alarm, locale)
    page.locator("#replay-open").click()
    panel = page.locator("#replay")
    expect(panel).to_be_visible()
    expect(page.locator("#workspace")).to_be_hidden()
    expect(panel.locator("h2")).to_contain_text(alarm["case_number"])
    state, chat = panel.locator(".replay-state"), panel.locator(".replay-chat")
    clock = panel.locator(".replay-clock")

    # The first step: the report as it came in, at its first position, nobody has it yet.
    expect(clock).to_contain_text("第 1 /" if zh else "Step 1 of")
    expect(state).to_contain_text("待受理" if zh else "received")
    expect(state).to_contain_text("静默" if zh else "silent")
    expect(state).to_contain_text(f"{FUTIAN[0]:.5f}, {FUTIAN[1]:.5f}")
    expect(chat).to_contain_text("尚无消息" if zh else "No messages yet")
    expect(panel.locator(".replay-entries li").nth(1)).to_have_class(re.compile(r"\blater\b"))

    # One step on: the position update moved the case.
    panel.locator(".replay-next").click()
    expect(clock).to_contain_text("第 2 /" if zh else "Step 2 of")
    expect(state).to_contain_text(f"{MOVED[0]:.5f}, {MOVED[1]:.5f}")
    expect(panel.locator(".replay-map path.leaflet-interactive").first).to_be_attached()  # the trail

    # The last step: closed as handled, taken by the seat, the whole conversation.
    panel.locator(".replay-last").click()
    expect(state).to_contain_text("已结案" if zh else "closed")
    expect(state).to_contain_text("已处置" if zh else "handled")
    expect(state).to_contain_text("futian.net")
    expect(chat.locator("li")).to_have_count(2)
    expect(chat).to_contain_text("they have a knife")
    expect(chat).to_contain_text("Police are on the way")
    entries = panel.locator(".replay-entries li")
    expect(entries.last).to_have_attribute("aria-current", "step")
    expect(entries.filter(has_text="结案：" if zh else "Closed as")).to_have_count(1)
    assert serious_violations(page) == []
    screenshot(page, f"replay-{locale}")

    # An entry clicked is the step shown: back before the seat wrote, one message so far.
    seat_message = entries.filter(has_text="Police are on the way")
    index = int(seat_message.get_attribute("data-index") or "0")
    entries.nth(index - 1).click()
    expect(chat.locator("li")).to_have_count(1)
    expect(state).to_contain_text("已受理" if zh else "accepted")

    panel.locator(".replay-back").click()
    expect(page.locator("#workspace")).to_be_visible()
    expect(page.locator("#inc-case")).to_have_text(alarm["case_number"])
    context.close()


def test_playing_runs_the_steps_to_the_end_and_stops_and_a_language_switch_keeps_the_step(
    browser: Browser, demo_server: Server
) -> None:
    alarm = ran_its_course(demo_server.url)
    context, page = case_open(browser, demo_server.url, alarm)
    page.locator("#replay-open").click()
    panel = page.locator("#replay")
    play = panel.locator(".replay-play")
    expect(play).to_be_focused()
    total = panel.locator(".replay-entries li").count()
    assert total >= 8  # received, location, message, accepted, message, dispatched, resolved, closed

    play.click()
    expect(play).to_have_attribute("aria-pressed", "true")
    expect(play).to_have_text("Pause")
    expect(panel.locator(".replay-clock")).to_contain_text("Step 3 of", timeout=5_000)
    play.click()  # paused: it stays where it is
    expect(play).to_have_attribute("aria-pressed", "false")
    held = panel.locator(".replay-slider").input_value()
    page.wait_for_timeout(1_500)
    assert panel.locator(".replay-slider").input_value() == held

    page.locator("#lang").click()
    expect(panel.locator(".replay-clock")).to_contain_text(f"第 {int(held) + 1} /")
    expect(panel.locator(".replay-entries")).to_contain_text("收到报警")
    expect(play).to_have_text("播放")

    panel.locator(".replay-last").click()
    play.click()  # from the end, play starts over
    expect(panel.locator(".replay-clock")).to_contain_text("第 2 /", timeout=5_000)
    expect(play).to_have_attribute("aria-pressed", "false", timeout=total * 1_500)
    # At the last step, however many there are by now: a receipt may still come in while the
    # panel is open, and the replay takes it.
    expect(panel.locator(".replay-clock")).to_contain_text(re.compile(r"第 (\d+) / \1 步"))
    context.close()
