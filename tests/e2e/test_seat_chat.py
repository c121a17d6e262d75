"""The seat's chat box: a message the server refuses or that cannot leave while offline says
why beside the box, in the console's language, and keeps its text; the box counts characters
near its limit; Escape leaves it so the single-key shortcuts act again."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.seat_console import desk, open_incident, sign_in
from tests.support.http import FUTIAN, raise_alarm, seat_headers
from tests.support.servers import Server, demo_with

OFFLINE = {"en-US": "no connection to the server", "zh-CN": "无法连接服务器"}


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_message_sent_offline_says_why_by_the_box_keeps_its_text_and_goes_once_back_online(
    browser: Browser, demo_server: Server, locale: str
) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, category="violence")
    context = desk(browser, locale)
    page = sign_in(context, base, "futian.net")
    open_incident(page, alarm["incident_id"], alarm["case_number"])
    box, error = page.locator(".chat textarea"), page.locator(".chat .chat-error")

    context.set_offline(True)
    box.fill("Are you hurt?")
    box.press("Enter")
    expect(error).to_be_visible()
    expect(error).to_contain_text(OFFLINE[locale])
    expect(box).to_have_value("Are you hurt?")

    context.set_offline(False)
    box.press("Enter")
    expect(page.locator(".messages .msg.from-seat")).to_contain_text("Are you hurt?")
    expect(error).to_be_hidden()
    expect(box).to_have_value("")
    context.close()


def test_the_box_stops_at_4000_characters_counts_near_the_limit_and_shows_a_refusal(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, category="violence")
    context = desk(browser)
    page = sign_in(context, base, "futian.net")
    open_incident(page, alarm["incident_id"], alarm["case_number"])
    box, count, error = (page.locator(f".chat {s}") for s in ("textarea", ".chat-count", ".chat-error"))

    expect(box).to_have_attribute("maxlength", "4000")
    box.fill("a" * 100)
    expect(count).to_be_hidden()
    box.fill("a" * 3700)
    expect(count).to_be_visible()
    expect(count).to_have_text("3700 / 4000 characters")

    box.evaluate("el => el.removeAttribute('maxlength')")  # as if the limit were not known here
    long = "b" * 4500
    box.fill(long)
    box.press("Enter")
    expect(error).to_have_text("Not sent: a message may have at most 4000 characters.")
    expect(box).to_have_value(long)
    assert (
        httpx.get(
            f"{base}/api/v1/incidents/{alarm['incident_id']}/messages",
            headers=seat_headers(base, "futian.net"),
        ).json()
        == []
    )
    context.close()


def test_escape_leaves_the_chat_box_so_the_single_key_shortcuts_act_again(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, category="violence")
    httpx.post(
        f"{base}/api/v1/incidents/{alarm['incident_id']}/actions/accept",
        json={},
        headers=seat_headers(base, "futian.net"),
    )
    context = desk(browser)
    page = sign_in(context, base, "futian.net")
    open_incident(page, alarm["incident_id"], alarm["case_number"])
    expect(page.locator("#inc-status")).to_have_attribute("data-status", "accepted")
    box = page.locator(".chat textarea")

    page.locator("body").press("/")
    expect(box).to_be_focused()
    page.keyboard.type("Police are coming")
    page.keyboard.press("Enter")
    expect(page.locator(".messages .msg.from-seat")).to_contain_text("Police are coming")
    page.keyboard.press("Escape")
    expect(box).not_to_be_focused()
    page.keyboard.press("d")
    expect(page.locator("#action-dialog")).to_be_visible()
    expect(page.locator('#action-dialog [name="note"]')).to_be_focused()
    expect(box).to_have_value("")
    context.close()


def test_on_an_sms_alarm_the_box_says_its_messages_go_by_sms_and_holds_what_one_carries(
    browser: Browser, tmp_path: Path
) -> None:
    token = "gateway-" + secrets.token_hex(8)
    with demo_with(tmp_path, NETALARM_SMS_INBOUND_TOKEN=token) as server:
        base = server.url
        texted = {"message_id": "gw-chat-1", "from": "13900137777", "text": "Gas smell, I am outside"}
        raised = httpx.post(
            f"{base}/api/v1/sms/inbound", json=texted, headers={"Authorization": f"Bearer {token}"}
        ).json()
        room = 480 - len(f"[{raised['case_number']}] ")
        web = raise_alarm(base, None, category="fire")  # the root centre's too, by app
        context = desk(browser, locale="zh-CN")
        page = sign_in(context, base, "shenzhen.net")
        box, note, count = (page.locator(f".chat {s}") for s in ("textarea", ".chat-sms", ".chat-count"))

        open_incident(page, raised["incident_id"], raised["case_number"])
        expect(note).to_have_text(f"报警人通过短信报警：您的消息也会以短信发给对方，最多 {room} 字。")
        expect(box).to_have_attribute("maxlength", str(room))
        box.fill("a" * (room - 10))
        expect(count).to_have_text(f"{room - 10} / {room} 字")

        open_incident(page, web["incident_id"], web["case_number"])
        expect(note).to_be_hidden()
        expect(box).to_have_attribute("maxlength", "4000")
        context.close()
