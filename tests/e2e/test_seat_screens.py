"""The console in both languages: the queue, the incident view (map, identity read on the
record, earlier alarms, chat, timeline) and the printable report, with no serious
accessibility violations (axe-core), photographed at 1440x900 under build/e2e-artefacts/seat."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.seat_console import desk, open_incident, screenshot, sign_in
from tests.e2e.test_reporter_screens import serious_violations
from tests.support.http import FUTIAN, raise_alarm, reporter_headers, seat_headers
from tests.support.servers import Server

WORDS = {
    "en-US": {
        "title": "Network alarm seat",
        "recorded": "recorded on the timeline",
        "report": "Incident report",
        "viewed": "The reporter's identity was viewed.",
    },
    "zh-CN": {
        "title": "网络报警坐席",
        "recorded": "记入时间线",
        "report": "警情报告",
        "viewed": "查看了报警人身份。",
    },
}


def _busy_incident(base: str) -> tuple[dict[str, str], dict[str, str]]:
    """A domestic violence call with a phone number that called before, a moving position
    and a few messages, accepted and dispatched by the district seat."""
    person = {"name": "王芳", "phone": "13912345678"}
    before = raise_alarm(base, FUTIAN, category="disturbance", description="邻居吵闹", reporter=person)
    alarm = raise_alarm(
        base,
        FUTIAN,
        category="domestic_violence",
        description="丈夫喝醉了在砸东西，我躲在卧室",
        reporter=person,
    )
    reporter = reporter_headers(alarm)
    for step in range(1, 4):
        where = {
            "lat": FUTIAN[0] + step * 0.0007,
            "lon": FUTIAN[1] + step * 0.0005,
            "accuracy_m": 25,
            "source": "gps",
        }
        httpx.post(f"{base}/api/v1/alarms/{alarm['id']}/locations", json=where, headers=reporter)
    httpx.post(f"{base}/api/v1/alarms/{alarm['id']}/messages", json={"text": "他在敲门"}, headers=reporter)
    seat = seat_headers(base, "futian.net")
    incident = f"{base}/api/v1/incidents/{alarm['incident_id']}"
    httpx.post(f"{incident}/actions/accept", json={}, headers=seat)
    httpx.post(f"{incident}/messages", json={"text": "请锁好门，民警马上到。"}, headers=seat)
    httpx.post(f"{incident}/actions/dispatch", json={"note": "福田派出所 2 组"}, headers=seat)
    raise_alarm(base, FUTIAN, category="traffic", description="两车相撞")
    raise_alarm(base, FUTIAN, silent=True)
    return alarm, before


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_queue_incident_and_report_in_both_languages(
    browser: Browser, demo_server: Server, locale: str
) -> None:
    base = demo_server.url
    alarm, before = _busy_incident(base)
    words = WORDS[locale]  # the console follows the browser's language
    context = desk(browser, locale)
    console = sign_in(context, base, "futian.net")
    expect(console.locator(".top h1")).to_have_text(words["title"])
    assert serious_violations(console) == []
    screenshot(console, f"queue-{locale}")

    open_incident(console, alarm["incident_id"], alarm["case_number"])
    expect(console.locator("#earlier")).to_contain_text(before["case_number"])
    expect(console.locator("#map path.leaflet-interactive").first).to_be_attached()
    console.locator("body").press("i")
    expect(console.locator("#identity")).to_contain_text("13912345678")
    expect(console.locator("#identity .recorded")).to_contain_text(words["recorded"])
    viewed = console.locator('#timeline li[data-type="identity_viewed"]')
    expect(viewed).to_have_count(1)
    expect(viewed).to_contain_text(words["viewed"])  # the timeline in plain words, in the console's language
    expect(console.locator(".messages .msg")).to_have_count(2)
    assert serious_violations(console) == []
    screenshot(console, f"incident-{locale}")

    with context.expect_page() as opened:
        console.locator("body").press("h")
    report = opened.value
    report.set_viewport_size({"width": 1440, "height": 900})
    expect(report.locator("h1")).to_contain_text(f"{words['report']} {alarm['case_number']}")
    expect(report.locator("#chain")).to_have_class("ok")
    assert serious_violations(report) == []
    screenshot(report, f"report-{locale}")

    console.locator("#lang").click()
    expect(console.locator(".top h1")).not_to_have_text(words["title"])
    other = WORDS["zh-CN" if locale == "en-US" else "en-US"]
    expect(viewed).to_contain_text(other["viewed"])
    context.close()
