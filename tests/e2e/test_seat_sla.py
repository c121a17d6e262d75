"""The SLA to accept is impossible to miss: the waiting time turns amber, then red, a red
banner names the late incident, the tab title flashes; a new P1 raises a notification; a
language switch redraws the banner, the title and the connection badge; a seat PC whose clock
is minutes off reads waiting times on the server's clock. Runs against its own server with a
6-second P1 SLA."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.seat_console import desk, open_incident, row, screenshot, sign_in
from tests.e2e.test_reporter_screens import serious_violations
from tests.support.http import BAOAN, DEMO_PASSWORD, FUTIAN, NANSHAN, raise_alarm, seat_headers
from tests.support.servers import Server, demo_with

SHORT_SLA = {"NETALARM_SLA_P1_S": "6", "NETALARM_SLA_P2_S": "600"}


@pytest.fixture(scope="module")
def short_sla_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with demo_with(tmp_path_factory.mktemp("short-sla"), **SHORT_SLA) as server:
        yield server


def test_waiting_turns_amber_then_red_and_a_banner_demands_acceptance(
    browser: Browser, short_sla_server: Server
) -> None:
    base = short_sla_server.url
    context = desk(browser)
    console = sign_in(context, base, "futian.net")
    calm = raise_alarm(base, FUTIAN, category="traffic")
    urgent = raise_alarm(base, FUTIAN, silent=True)
    late = row(console, urgent["incident_id"])

    expect(console.locator("#toasts")).to_contain_text(f"New P1 alarm {urgent['case_number']}")
    assert console.evaluate("window.__notifications") == ["New P1 alarm"]
    assert console.evaluate("window.__tones") > 0
    expect(late).to_have_class(re.compile(r"\bsla-near\b"))
    expect(console.locator("#sla-banner")).to_be_hidden()
    expect(late).to_have_class(re.compile(r"\bsla-over\b"))
    banner = console.locator("#sla-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(urgent["case_number"])
    expect(console.locator("body")).to_have_class(re.compile(r"\bsla-breach\b"))
    expect(console).to_have_title(re.compile(urgent["case_number"]))
    assert "sla" not in (row(console, calm["incident_id"]).get_attribute("class") or "")
    assert serious_violations(console) == []
    screenshot(console, "sla-alert-en")

    banner.locator("button").click()  # the banner's case number opens the incident
    expect(console.locator("#inc-case")).to_have_text(urgent["case_number"])
    console.locator("body").press("a")
    expect(banner).to_be_hidden()
    expect(late).not_to_have_class(re.compile(r"\bsla-over\b"))
    open_incident(console, calm["incident_id"], calm["case_number"])
    context.close()


def test_a_language_switch_redraws_the_sla_banner_the_tab_title_and_the_connection_badge(
    browser: Browser, short_sla_server: Server
) -> None:
    base = short_sla_server.url
    context = desk(browser)
    console = sign_in(context, base, "futian.net")
    urgent = raise_alarm(base, FUTIAN, silent=True)
    banner, mode = console.locator("#sla-banner"), console.locator("#mode")
    expect(banner).to_contain_text(f"SLA BREACHED — not accepted in time: {urgent['case_number']}")
    expect(mode).to_have_text("live")

    console.locator("#lang").click()
    expect(banner).to_contain_text(f"超时未受理：{urgent['case_number']}")
    expect(mode).to_have_text("实时")
    expect(console).to_have_title(re.compile("超时未受理"))
    console.locator("#lang").click()
    expect(banner).to_contain_text("SLA BREACHED")
    expect(mode).to_have_text("live")

    seat = seat_headers(base, "futian.net")
    httpx.post(f"{base}/api/v1/incidents/{urgent['incident_id']}/actions/accept", json={}, headers=seat)
    expect(banner).to_be_hidden()
    context.close()


def test_a_late_case_transferred_to_another_centre_arrives_there_with_a_fresh_sla_clock(
    browser: Browser, short_sla_server: Server
) -> None:
    base = short_sla_server.url
    context = desk(browser)
    luohu = sign_in(context, base, "luohu.net")
    late = raise_alarm(base, FUTIAN, silent=True)
    time.sleep(7)  # past the 6 s P1 limit at Futian, before the watchdog escalates at 12 s
    moved = httpx.post(
        f"{base}/api/v1/incidents/{late['incident_id']}/actions/transfer",
        json={"centre": "440303"},
        headers=seat_headers(base, "futian.net"),
    )
    assert moved.status_code == 200, moved.text

    arrived = row(luohu, late["incident_id"])
    expect(arrived).to_be_visible()
    told = f"{late['case_number']} transferred to you from 福田分局 Futian by futian.net"
    expect(luohu.locator("#toasts")).to_contain_text(told)
    assert "Case transferred to your centre" in luohu.evaluate("window.__notifications")
    luohu.wait_for_timeout(1500)  # a few ticks of the waiting clock
    expect(arrived.locator(".wait")).to_have_text(re.compile(r"^00:0[0-4]$"))
    expect(arrived).not_to_have_class(re.compile(r"\bsla-(near|over)\b"))
    expect(luohu.locator("#sla-banner")).not_to_contain_text(late["case_number"])
    expect(luohu.locator("body")).not_to_have_class(re.compile(r"\bsla-breach\b"))
    context.close()


def test_a_late_case_of_a_staffed_district_stays_there_and_the_city_is_alerted_to_help(
    browser: Browser, short_sla_server: Server
) -> None:
    base = short_sla_server.url
    district_context, city_context = desk(browser), desk(browser)
    district = sign_in(district_context, base, "futian.net")
    city = sign_in(city_context, base, "shenzhen.net")
    late = raise_alarm(base, FUTIAN, silent=True)
    stuck = raise_alarm(base, BAOAN, silent=True)  # the city's own: nobody above it
    case = late["case_number"]
    open_incident(district, late["incident_id"], case)
    expect(district.locator("#toasts")).to_contain_text(f"New P1 alarm {case}")
    tones = city.evaluate("window.__tones")

    # 12 s (twice the P1 limit) after it came in, with Futian's seat at its desk, the watchdog
    # keeps it there and calls the city in.
    alert = city.locator(f'#toasts .toast[data-id="{late["incident_id"]}"]').first
    expect(alert).to_have_text(
        f"{case} of 福田分局 Futian still not accepted at twice its time, its seats all busy — help take it",
        timeout=25_000,
    )
    assert "A centre below needs help" in city.evaluate("window.__notifications")
    assert city.evaluate("window.__tones") > tones
    expect(district.locator("#toasts")).to_contain_text(
        f"{case} still not accepted at twice its time: 深圳市公安局 Shenzhen was asked to help. "
        "It stays in this queue."
    )
    expect(row(district, late["incident_id"])).to_have_count(1)
    expect(district.locator("#inc-case")).to_have_text(case)  # still open in front of the district seat
    overdue = "still not accepted — twice its time to accept, no centre above to escalate to"
    expect(city.locator("#toasts")).to_contain_text(f"{stuck['case_number']} {overdue}")
    alert.click()
    expect(city.locator("#inc-case")).to_have_text(case)
    district.locator("body").press("a")  # the district's seat takes it after all
    expect(district.locator("#inc-status")).to_have_attribute("data-status", "accepted")
    district_context.close()
    city_context.close()


@pytest.fixture(scope="module")
def unstaffed_sla_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """As `short_sla_server`, where no district seat ever signs in."""
    with demo_with(tmp_path_factory.mktemp("unstaffed-sla"), **SHORT_SLA) as server:
        yield server


def test_a_late_case_of_a_district_nobody_is_at_is_escalated_and_alerted_to_the_city(
    browser: Browser, unstaffed_sla_server: Server
) -> None:
    base = unstaffed_sla_server.url
    city_context = desk(browser)
    city = sign_in(city_context, base, "shenzhen.net")
    late = raise_alarm(base, FUTIAN, silent=True)
    case = late["case_number"]
    expect(row(city, late["incident_id"])).to_have_count(1)
    tones = city.evaluate("window.__tones")
    alert = city.locator(f'#toasts .toast[data-id="{late["incident_id"]}"]').first
    expect(alert).to_have_text(
        f"{case} escalated to you from 福田分局 Futian — not accepted in time", timeout=25_000
    )
    assert "Case escalated to your centre" in city.evaluate("window.__notifications")
    assert city.evaluate("window.__tones") > tones
    incident = httpx.get(
        f"{base}/api/v1/incidents/{late['incident_id']}", headers=seat_headers(base, "shenzhen.net")
    )
    assert incident.json()["centre"] == "440300"
    city_context.close()


def test_a_new_case_of_a_lower_priority_sounds_too_but_raises_no_notification(
    browser: Browser, short_sla_server: Server
) -> None:
    context = desk(browser)
    console = sign_in(context, short_sla_server.url, "nanshan.net")  # a queue nobody else uses here
    tones = console.evaluate("window.__tones")
    calm = raise_alarm(short_sla_server.url, NANSHAN, category="fraud")
    expect(row(console, calm["incident_id"])).to_have_attribute("data-priority", "P3")
    console.wait_for_function(f"window.__tones > {tones}")
    assert console.evaluate("window.__notifications") == []
    expect(console.locator("#toasts")).not_to_contain_text(calm["case_number"])
    context.close()


@pytest.mark.parametrize("skew_s", [-120, 120])
def test_a_seat_pc_whose_clock_is_minutes_off_still_reads_waiting_times_on_the_servers_clock(
    browser: Browser, short_sla_server: Server, skew_s: int
) -> None:
    base = short_sla_server.url
    context = desk(browser)
    page = context.new_page()
    page.clock.install(time=datetime.now(UTC) + timedelta(seconds=skew_s))  # runs on from there
    page.goto(f"{base}/seat")
    page.locator("#username").fill("futian.net")
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page.locator("#console")).to_be_visible()
    urgent = raise_alarm(base, FUTIAN, silent=True)
    late = row(page, urgent["incident_id"])
    expect(late.locator(".wait")).to_have_text(re.compile(r"^00:0[0-3]$"))  # not minutes either way
    expect(late).to_have_class(re.compile(r"\bsla-over\b"))
    expect(page.locator("#sla-banner")).to_contain_text(urgent["case_number"])
    context.close()
