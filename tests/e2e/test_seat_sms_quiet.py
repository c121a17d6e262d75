"""What the seat sees when an SMS reporter asks for quiet and then cancels by text: the case
turns silent live, the SMS and call-back panel and the chat box warn that the reporter's
phone may be heard, the dispatch is not texted (the timeline says so), and CANCEL ALARM / 取消报警
shows as the reporter's cancellation, in Chinese and English; QUIET OFF / 取消静音 ends the
quiet live; and an SMS withheld because the reporter asked for quiet says so in the console's
language."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.reporter_app import serious_violations
from tests.e2e.seat_console import act, desk, open_incident, screenshot, sign_in
from tests.support.push import login
from tests.support.servers import Server, demo_with
from tests.support.waiting import eventually

TOKEN = "gateway-" + secrets.token_hex(8)

WORDS = {
    "en-US": {
        "plain_note": "This reporter alarmed by SMS: your messages also go to them as an SMS",
        "quiet_note": "asked for quiet: each message reaches their phone as an SMS",
        "reach": "Silent alarm: the reporter may be hiding",
        "silent": "silent",
        "quiet_entry": "The reporter asked for quiet: no texts unless needed",
        "withheld": "the reporter asked for quiet (silent alarm)",
        "withdrawn": "The reporter cancelled this alarm at",
        "cancel": "CANCEL ALARM",
        "quiet_off": "QUIET OFF",
        "lifted_entry": "The reporter ended quiet",
        "not_sent": "not sent",
        "withheld_why": "Withheld: the reporter asked for quiet before it was sent.",
    },
    "zh-CN": {
        "plain_note": "报警人通过短信报警：您的消息也会以短信发给对方",
        "quiet_note": "报警人通过短信报警并要求静默",
        "reach": "静默报警：报警人可能正在躲藏",
        "silent": "静默",
        "quiet_entry": "报警人要求静默：除非必要不发短信",
        "withheld": "通知短信：报警人要求静默（静默报警）",
        "withdrawn": "报警人已于",
        "cancel": "取消报警",
        "quiet_off": "取消静音",
        "lifted_entry": "报警人取消静默",
        "not_sent": "未发送",
        "withheld_why": "已暂停发送：报警人在发送前要求静默。",
    },
}


@pytest.fixture(scope="module")
def sms_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with demo_with(tmp_path_factory.mktemp("seat-sms-quiet"), NETALARM_SMS_INBOUND_TOKEN=TOKEN) as server:
        yield server


def _text(base: str, sender: str, text: str) -> dict[str, str]:
    body = {"message_id": f"gw-{secrets.token_hex(8)}", "from": sender, "text": text}
    answer = httpx.post(f"{base}/api/v1/sms/inbound", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_reporter_asking_for_quiet_by_sms_turns_the_case_silent_and_warns_the_seat(
    browser: Browser, sms_server: Server, locale: str
) -> None:
    base, words = sms_server.url, WORDS[locale]
    sender = f"1390013{secrets.randbelow(10_000):04d}"
    raised = _text(base, sender, "My husband is drunk and breaking things")
    context = desk(browser, locale)
    page = sign_in(context, base, "shenzhen.net")
    open_incident(page, raised["incident_id"], raised["case_number"])
    note, reach = page.locator(".chat .chat-sms"), page.locator("#reach-quiet")
    expect(note).to_contain_text(words["plain_note"])
    expect(reach).to_be_hidden()

    assert _text(base, sender, "QUIET he took my phone charger, he is listening")["keyword"] == "quiet"
    expect(page.locator("#inc-facts .silent")).to_have_text(words["silent"])
    expect(reach).to_be_visible()
    expect(reach).to_contain_text(words["reach"])
    expect(note).to_contain_text(words["quiet_note"])
    expect(page.locator('#timeline [data-type="quiet_requested"]')).to_contain_text(words["quiet_entry"])
    assert serious_violations(page) == []
    screenshot(page, f"incident-sms-quiet-{locale[:2]}")

    page.locator("body").press("a")
    expect(page.locator("#inc-status")).to_have_attribute("data-status", "accepted")
    act(page, "d", note="patrol 7")
    expect(page.locator('#timeline [data-type="sms_withheld"]')).to_contain_text(words["withheld"])
    expect(page.locator("#sms-list li")).to_have_count(1)  # the receipt only, no dispatch SMS

    assert _text(base, sender, words["cancel"])["keyword"] == "cancel"
    expect(page.locator("#inc-withdrawn")).to_contain_text(words["withdrawn"])
    expect(page.locator("#sms-list li")).to_have_count(2)  # the reporter's confirmation
    expect(page.locator("#inc-status")).to_have_attribute("data-status", "dispatched")

    assert _text(base, sender, words["quiet_off"])["keyword"] == "quiet_off"
    expect(page.locator('#timeline [data-type="quiet_lifted"]')).to_contain_text(words["lifted_entry"])
    expect(page.locator("#inc-facts .silent")).to_have_count(0)
    expect(reach).to_be_hidden()
    expect(page.locator("#sms-list li")).to_have_count(3)  # the answer that texts are back on
    context.close()


@pytest.fixture(scope="module")
def unreachable_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose SMS gateway never answers: every SMS waits for a retry."""
    with demo_with(
        tmp_path_factory.mktemp("seat-sms-withheld"),
        NETALARM_SMS_INBOUND_TOKEN=TOKEN,
        NETALARM_SMS_URL="http://127.0.0.1:9/sms",
        NETALARM_SMS_RETRY_S="600",
    ) as server:
        yield server


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_an_sms_withheld_for_quiet_says_so_in_the_consoles_language(
    browser: Browser, unreachable_gateway: Server, locale: str
) -> None:
    base, words = unreachable_gateway.url, WORDS[locale]
    sender = f"1390013{secrets.randbelow(10_000):04d}"
    raised = _text(base, sender, "Someone is trying the door handle")
    # The receipt's first try fails and it waits for a retry; then the reporter asks for
    # quiet: it is never sent.
    token = login(base, "shenzhen.net")
    sms_url = f"{base}/api/v1/incidents/{raised['incident_id']}/sms"

    def receipt_tried() -> bool | None:
        # Its first try recorded and over (a delivery being sent also reads `pending`).
        [delivery] = httpx.get(sms_url, headers={"Authorization": f"Bearer {token}"}).json()
        return True if (delivery["status"], len(delivery["tries"])) == ("pending", 1) else None

    eventually(receipt_tried)
    _text(base, sender, "QUIET")
    context = desk(browser, locale)
    page = sign_in(context, base, "shenzhen.net")
    open_incident(page, raised["incident_id"], raised["case_number"])
    receipt = page.locator("#sms-list li")
    expect(receipt).to_have_count(1)
    expect(receipt.locator(".sms-status")).to_have_text(words["not_sent"])
    expect(receipt.locator(".sms-error")).to_contain_text(words["withheld_why"])
    context.close()
