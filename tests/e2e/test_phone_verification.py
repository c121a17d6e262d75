"""A reporter who gave a phone confirms it from the status page with the code the SMS brought
(read here from the file transport's outbox): a wrong code is said plainly, a new code waits
out its countdown, and the seat console marks the number verified. A silent SOS offers it
only as a link that warns first, and nothing is texted unless the reporter insists."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.e2e.reporter_app import NOISE_PROBE, kept, open_app, phone, serious_violations, somewhere_in_futian
from tests.e2e.reporter_app import screenshot as reporter_screenshot
from tests.e2e.seat_console import desk, open_incident, sign_in
from tests.support.servers import Server
from tests.support.waiting import eventually


def _texts_to(server: Server, number: str) -> list[str]:
    outbox = Path(server.env["NETALARM_DATA_DIR"]) / "sms" / "outbox.jsonl"
    if not outbox.exists():
        return []
    return [r["text"] for r in map(json.loads, outbox.read_text().splitlines()) if r["to"] == f"+86{number}"]


def _code_sent_to(server: Server, number: str) -> str:
    def found() -> str | None:
        codes = [m[1] for m in (re.search(r"验证码 (\d{6})", t) for t in _texts_to(server, number)) if m]
        return codes[-1] if codes else None

    return eventually(found)


def test_a_reporter_confirms_their_number_with_the_sms_code_and_the_seat_sees_it_verified(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    number = f"136{secrets.randbelow(10**8):08d}"
    reporter = open_app(phone(browser, at=somewhere_in_futian()), base)
    reporter.locator("#open-details").tap()
    reporter.locator("#phone").fill(number)
    reporter.locator("#send-details").tap()
    offer = reporter.locator("#verify-open")
    expect(offer).to_contain_text("确认您的手机号")
    expect(reporter.locator("#verify-why")).to_be_visible()
    assert _texts_to(demo_server, number) == []  # nothing is texted until the reporter asks
    alarm = kept(reporter, "current")
    seat = sign_in(desk(browser), base, "futian.net")
    open_incident(seat, alarm["incident_id"], alarm["case_number"])
    mark = seat.locator("#phone-status .phone-mark")
    expect(mark).to_have_attribute("data-verified", "false")
    expect(mark).to_contain_text("not verified")

    offer.tap()
    form = reporter.locator("#verify-form")
    expect(form).to_be_visible()
    expect(reporter.locator("#verify-sent")).to_contain_text("10 分钟内有效")
    expect(reporter.locator("#verify-code")).to_be_focused()
    resend = reporter.locator("#verify-resend")
    expect(resend).to_be_disabled()
    expect(resend).to_contain_text("秒后可重新发送")
    code = _code_sent_to(demo_server, number)

    reporter.locator("#verify-code").fill("12")
    form.locator("button[type=submit]").tap()
    error = reporter.locator("#verify-error")
    expect(error).to_contain_text("请输入短信中的 6 位数字")
    reporter.locator("#verify-code").fill(f"{(int(code) + 1) % 10**6:06d}")
    form.locator("button[type=submit]").tap()
    expect(error).to_contain_text("验证码错误，还可尝试 4 次")
    assert serious_violations(reporter) == []
    reporter_screenshot(reporter, "status-verify-zh", full_page=True)

    reporter.locator("#lang").tap()
    expect(offer).to_be_hidden()
    expect(resend).to_contain_text("New code possible in")
    reporter.locator("#verify-code").fill(code)
    form.locator("button[type=submit]").tap()
    done = reporter.locator("#verify-done")
    expect(done).to_contain_text("is confirmed")
    expect(form).to_be_hidden()
    expect(error).to_be_hidden()

    open_incident(seat, alarm["incident_id"], alarm["case_number"])
    expect(mark).to_have_attribute("data-verified", "true")
    expect(seat.locator("#phone-status")).to_contain_text("typed back a code")
    timeline = seat.locator("#timeline")
    expect(timeline.locator('[data-type="phone_verified"]')).to_contain_text("verified")
    expect(timeline).not_to_contain_text(code)


def test_a_silent_sos_texts_no_code_unless_the_reporter_insists(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    number = f"135{secrets.randbelow(10**8):08d}"
    context = phone(browser, at=somewhere_in_futian())
    context.add_init_script(NOISE_PROBE)
    reporter = open_app(context, base)
    reporter.evaluate(
        f"localStorage.setItem('netalarm.reporter.identity', JSON.stringify({{phone: '{number}'}}))"
    )
    reporter.locator("#sos").tap()
    offer = reporter.locator("#verify-open")
    expect(offer).to_contain_text("通过短信确认我的手机号")
    expect(reporter.locator("#verify-why")).to_be_hidden()
    offer.tap()
    warning = reporter.locator("#verify-warn")
    expect(warning).to_contain_text("可能被旁人发现")
    reporter.locator("#verify-not-now").tap()
    expect(warning).to_be_hidden()
    expect(offer).to_be_focused()
    assert _texts_to(demo_server, number) == []

    offer.tap()
    reporter.locator("#verify-silent-send").tap()
    expect(reporter.locator("#verify-form")).to_be_visible()
    assert len(_code_sent_to(demo_server, number)) == 6
    assert reporter.evaluate("window.__noise") == []
