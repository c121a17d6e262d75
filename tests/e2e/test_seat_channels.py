"""Reaching the reporter from the console: an SMS with a quick text that turns `sent` live,
a call-back through a tel: link whose outcome is recorded, both on the timeline panel in
plain words and in the printable report; without a phone number both say why not; a call
is recorded only with the outcome the seat chose (none is chosen in advance)."""

from __future__ import annotations

import secrets

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.seat_console import desk, open_incident, report_text, screenshot, sign_in
from tests.support.http import FUTIAN, raise_alarm, seat_headers
from tests.support.servers import Server


def test_a_seat_sends_an_sms_and_records_a_call_back(browser: Browser, demo_server: Server) -> None:
    base = demo_server.url
    phone = f"1390013{secrets.randbelow(10_000):04d}"
    alarm = raise_alarm(base, FUTIAN, category="domestic_violence", reporter={"phone": phone})
    anonymous = raise_alarm(base, FUTIAN, silent=True)
    context = desk(browser)
    page = sign_in(context, base, "futian.net")

    open_incident(page, anonymous["incident_id"], anonymous["case_number"])
    expect(page.locator("#sms-button")).to_be_disabled()
    expect(page.locator("#call-button")).to_be_disabled()
    expect(page.locator("#reach-reason")).to_contain_text("none was given")

    open_incident(page, alarm["incident_id"], alarm["case_number"])
    expect(page.locator("#sms-button")).to_be_enabled()
    page.locator("body").press("s")
    form = page.locator("#sms-form")
    expect(form).to_be_visible()
    count = form.locator("#sms-count")
    expect(count).to_have_text("0/480 characters · 0 SMS")
    form.locator("textarea").fill("请" * 71)  # past one SMS of Chinese text (70)
    expect(count).to_have_text("71/480 characters · 2 SMS")
    form.locator("textarea").fill("x" * 160)  # plain text: 160 still fit in one
    expect(count).to_have_text("160/480 characters · 1 SMS")
    form.locator("[data-quick=sms_quick_coming]").click()
    expect(form.locator("textarea")).to_have_value("Police are on the way. Stay where you are if it is safe.")
    expect(count).to_have_text("56/480 characters · 1 SMS")
    form.locator("button[type=submit]").click()
    expect(form).to_be_hidden()
    sms = page.locator("#sms-list li").first
    expect(sms).to_have_attribute("data-status", "sent")
    expect(sms).to_contain_text("Police are on the way.")
    expect(sms).to_contain_text(f"+86 139****{phone[-4:]}")
    timeline = page.locator("#timeline")
    expect(timeline.locator('[data-type="sms_queued"]')).to_contain_text("SMS to +86 139****")
    expect(timeline.locator('[data-type="sms_delivered"]')).to_contain_text("sent (attempt 1)")

    page.locator("body").press("c")
    call = page.locator("#call-form")
    expect(call).to_be_visible()
    expect(page.locator("#call-link")).to_have_attribute("href", f"tel:+86{phone}")
    expect(timeline.locator('[data-type="identity_viewed"]')).to_have_count(1)  # the number was read
    call.locator('input[value="no_answer"]').check()
    call.locator("textarea[name=note]").fill("Rang twice, no answer")
    screenshot(page, "seat-call-back-en")
    call.locator("button[type=submit]").click()
    expect(call).to_be_hidden()
    expect(timeline.locator('[data-type="call"]')).to_contain_text("called back +86 139****")
    expect(timeline.locator('[data-type="call"]')).to_contain_text("no answer. Note: Rang twice, no answer")
    screenshot(page, "seat-sms-call-en")

    report = report_text(base, alarm["incident_id"], seat_headers(base, "futian.net"))
    assert "queued for sending: “Police are on the way." in report
    assert "sent (attempt 1)." in report
    assert "The seat called back +86 139****" in report and "no answer. Note: Rang twice" in report
    assert phone not in report
    context.close()


@pytest.mark.parametrize(
    ("locale", "pick"),
    [("en-US", "Choose how the call went before recording it."), ("zh-CN", "请先选择通话结果，再记录。")],
)
def test_a_call_back_has_no_outcome_chosen_in_advance_and_is_recorded_only_once_one_is(
    browser: Browser, demo_server: Server, locale: str, pick: str
) -> None:
    base = demo_server.url
    alarm = raise_alarm(
        base, FUTIAN, category="fraud", reporter={"phone": f"1390014{secrets.randbelow(10_000):04d}"}
    )
    context = desk(browser, locale)
    page = sign_in(context, base, "futian.net")
    open_incident(page, alarm["incident_id"], alarm["case_number"])
    page.locator("body").press("c")
    call = page.locator("#call-form")
    expect(call).to_be_visible()
    expect(call.locator('input[name="outcome"]')).to_have_count(4)
    expect(call.locator('input[name="outcome"]:checked')).to_have_count(0)

    call.locator("button[type=submit]").click()
    expect(page.locator("#reach-reason")).to_have_text(pick)
    expect(call).to_be_visible()
    seat = seat_headers(base, "futian.net")
    timeline = f"{base}/api/v1/incidents/{alarm['incident_id']}/timeline"
    assert [e for e in httpx.get(timeline, headers=seat).json() if e["type"] == "call"] == []

    call.locator('input[value="busy"]').check()
    call.locator("button[type=submit]").click()
    expect(call).to_be_hidden()
    expect(page.locator("#reach-reason")).to_have_text("")
    (recorded,) = [e for e in httpx.get(timeline, headers=seat).json() if e["type"] == "call"]
    assert recorded["data"]["outcome"] == "busy"
    context.close()
