"""Forwarding to 110 from the network console, and the 110 console inside the intranet: the
forward is a key and a note away, the 110 seat is alerted as for any new P1, and what the 110
seat does reads back on the network seat's timeline."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.seat_console import act, desk, open_incident, row, screenshot, sign_in
from tests.media import tus
from tests.media.samples import photo
from tests.support.http import FUTIAN, raise_alarm, reporter_headers, reporter_post, seat_headers
from tests.support.link import (
    forwarded_alarm,
    internet_server,
    intranet_case,
    intranet_server,
    linked_pair,
    merged_inside,
    seat_texts,
)
from tests.support.servers import Server, free_port
from tests.support.waiting import eventually

TOKEN = "link-" + secrets.token_hex(16)
SMS_TOKEN = "gateway-" + secrets.token_hex(12)


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    internet = internet_server(
        tmp_path_factory.mktemp("e2e-internet"), TOKEN, NETALARM_SMS_INBOUND_TOKEN=SMS_TOKEN
    )
    intranet = intranet_server(Path(tmp_path_factory.mktemp("e2e-intranet")), internet, TOKEN)
    yield internet, intranet
    intranet.stop()
    internet.stop()


def test_a_forward_alerts_the_110_seat_and_its_acceptance_reads_back_outside(
    browser: Browser, linked: tuple[Server, Server]
) -> None:
    internet, intranet = linked
    police = sign_in(desk(browser), intranet.url, "shenzhen.110")
    expect(police.locator("#console h1")).to_have_text("110 seat")
    expect(police.locator("#link")).to_have_text("110 link up")
    expect(police.locator('#actions [data-action="forward-110"]')).to_have_count(0)
    expect(police.locator(".shortcuts")).not_to_contain_text("forward to 110")
    tones = police.evaluate("window.__tones")

    alarm = raise_alarm(internet.url, FUTIAN, category="violence", description="Knife fight outside the bar")
    network = sign_in(desk(browser), internet.url, "futian.net")
    open_incident(network, alarm["incident_id"], alarm["case_number"])
    forward = network.locator('#actions [data-action="forward-110"]')
    expect(forward).to_be_disabled()  # not before a seat has accepted the case
    network.locator("body").press("a")
    expect(forward).to_be_enabled()
    act(network, "f", note="Two men, one knife; send armed unit")
    expect(network.locator("#inc-status")).to_have_attribute("data-status", "dispatched")
    expect(network.locator("#timeline")).to_contain_text("Forwarded to the 110 seat")

    queued = police.locator("#queue > li[data-id]").first
    expect(queued).to_be_visible(timeout=5_000)
    assert queued.get_attribute("data-priority") == "P1"
    police.wait_for_function(f"window.__tones > {tones}")
    case_110 = queued.get_attribute("data-case") or ""
    open_incident(police, queued.get_attribute("data-id") or "", case_110)
    expect(police.locator("#timeline")).to_contain_text("Two men, one knife; send armed unit")
    expect(police.locator("#inc-from")).to_contain_text(
        f"From network case {alarm['case_number']} (centre 440304), forwarded by futian.net. Reported "
    )
    expect(police.locator("#inc-from")).to_contain_text("min before it reached 110.")
    expect(police.locator("#timeline")).to_contain_text(alarm["case_number"])
    police.locator("body").press("a")
    expect(police.locator("#inc-status")).to_have_attribute("data-status", "accepted")
    # The conversation follows the case: the 110 seat asks, the network seat sees it there.
    police.locator(".chat textarea").fill("Which way did they run?")
    police.locator(".chat textarea").press("Enter")
    expect(network.locator(".messages .msg.from-seat").last).to_contain_text("Which way did they run?")

    expect(network.locator("#timeline")).to_contain_text(f"110 case {case_110} accepted by seat shenzhen.110")
    # A photo the reporter sends now reaches the open case in the 110 console.
    url, answer = tus.upload(internet.url, alarm, photo(), "attacker.jpg")
    assert answer.status_code == 204, answer.text
    expect(police.locator(f'#media figure[data-id="{tus.media_id(url)}"]')).to_be_visible(timeout=10_000)
    expect(police.locator("#timeline")).to_contain_text("attacker.jpg")
    expect(row(network, alarm["incident_id"])).to_be_visible()


def test_the_110_seat_sees_the_network_side_close_the_case_and_its_chat_stops_saying_why(
    browser: Browser, linked: tuple[Server, Server]
) -> None:
    internet, intranet = linked
    alarm = forwarded_alarm(internet, "Reporter hiding upstairs")
    police = sign_in(desk(browser), intranet.url, "shenzhen.110")
    case = eventually(
        lambda: intranet_case(intranet, alarm["case_number"], seat_headers(intranet.url, "shenzhen.110"))
    )
    open_incident(police, case["id"], case["case_number"])
    banner = police.locator("#inc-source-closed")
    expect(banner).to_be_hidden()
    expect(police.locator(".chat textarea")).to_be_enabled()

    network = seat_headers(internet.url, "futian.net")
    actions = f"{internet.url}/api/v1/incidents/{alarm['incident_id']}/actions"
    assert httpx.post(
        f"{actions}/resolve", json={"outcome": "Safe at a neighbour's"}, headers=network
    ).is_success
    assert httpx.post(f"{actions}/close", json={"disposition": "handled"}, headers=network).is_success

    notes = police.locator("#toasts .toast.left", has_text=case["case_number"])
    expect(notes.first).to_contain_text(
        "the network seat closed its case; the chat no longer reaches the reporter"
    )
    expect(notes.nth(1)).to_contain_text("the network seat finished its case (Safe at a neighbour's)")
    expect(banner).to_contain_text(f"Network seat futian.net closed their case {alarm['case_number']} at")
    expect(banner).to_contain_text("(handled): the reporter can no longer be reached by chat.")
    expect(police.locator(".chat textarea")).to_be_disabled()
    expect(police.locator(".chat .quick button").first).to_be_disabled()
    expect(police.locator(".chat .chat-sms")).to_have_text(
        "The network side closed this case: messages no longer reach the reporter."
    )
    expect(police.locator("#timeline")).to_contain_text(
        "closed case " + alarm["case_number"] + " on its server as handled"
    )
    expect(police.locator("#inc-status")).to_have_attribute("data-status", "received")  # 110 closes its own
    police.locator("#lang").click()
    expect(banner).to_contain_text("网络坐席 futian.net 已于")
    expect(banner).to_contain_text("（已处置）：对话已无法送达报警人。")
    expect(police.locator(".chat .chat-sms")).to_have_text("网络侧已将此警情结案：消息已无法送达报警人。")
    screenshot(police, "link-110-source-closed-zh")


def test_the_110_console_says_since_when_and_why_the_link_is_down_in_either_language(
    browser: Browser, tmp_path: Path
) -> None:
    nowhere = Server({}, port=free_port())  # never started: nothing listens there
    intranet = intranet_server(tmp_path, nowhere, TOKEN)
    try:
        police = sign_in(desk(browser), intranet.url, "shenzhen.110")
        badge = police.locator("#link")
        expect(badge).to_have_attribute("data-state", "down")
        expect(badge).to_have_text(
            re.compile(r"^110 link DOWN since \d\d:\d\d:\d\d: the Internet-side server cannot be reached$")
        )
        expect(badge).to_have_attribute("title", re.compile("unreachable: ConnectError"))
        police.locator("#lang").click()
        expect(badge).to_have_text(re.compile(r"^110链路自 \d\d:\d\d:\d\d 起中断：无法连接互联网侧服务器$"))
    finally:
        intranet.stop()


def test_a_text_the_reporter_sends_after_the_forward_chimes_on_the_110_console_and_is_on_the_case(
    browser: Browser, linked: tuple[Server, Server]
) -> None:
    internet, intranet = linked
    phone = f"139{secrets.randbelow(10**8):08d}"
    alarm = forwarded_alarm(
        internet, alarm=raise_alarm(internet.url, FUTIAN, category="violence", reporter={"phone": phone})
    )
    police = sign_in(desk(browser), intranet.url, "shenzhen.110")
    case = eventually(
        lambda: intranet_case(intranet, alarm["case_number"], seat_headers(intranet.url, "shenzhen.110"))
    )
    expect(row(police, case["id"])).to_be_visible()
    tones = police.evaluate("window.__tones")
    texted = httpx.post(
        f"{internet.url}/api/v1/sms/inbound",
        json={"message_id": f"gw-{secrets.token_hex(6)}", "from": phone, "text": "He is in the stairwell"},
        headers={"Authorization": f"Bearer {SMS_TOKEN}"},
    )
    assert texted.status_code == 201, texted.text

    note = police.locator("#toasts .toast.left", has_text="texted the alarm number")
    expect(note).to_have_text(
        f"{case['case_number']}: the reporter's phone texted the alarm number “He is in the stairwell”"
    )
    police.wait_for_function(f"window.__tones > {tones}")
    note.click()
    expect(police.locator("#inc-case")).to_have_text(case["case_number"])
    expect(police.locator("#timeline")).to_contain_text(
        "The reporter's phone texted the alarm number on the network side "
        f"(their case {texted.json()['case_number']})"
    )


def test_a_110_message_written_while_the_link_is_down_says_it_waits_then_shows_its_delivery(
    browser: Browser, tmp_path: Path
) -> None:
    internet = internet_server(tmp_path / "internet", TOKEN)
    intranet = intranet_server(tmp_path / "intranet", internet, TOKEN)
    try:
        alarm = forwarded_alarm(internet)
        case = eventually(
            lambda: intranet_case(intranet, alarm["case_number"], seat_headers(intranet.url, "shenzhen.110"))
        )
        police = sign_in(desk(browser), intranet.url, "shenzhen.110")
        open_incident(police, case["id"], case["case_number"])
        internet.stop()
        police.locator(".chat textarea").fill("Leave by the back door")
        police.locator(".chat textarea").press("Enter")
        said = police.locator(".messages .msg.from-seat", has_text="Leave by the back door")
        expect(said.locator(".receipt")).to_have_text("⏳ waiting for the 110 link")
        expect(police.locator("#link")).to_contain_text("110 link DOWN since")

        internet.start()
        mine = f"{internet.url}/api/v1/alarms/{alarm['id']}/messages"
        eventually(
            lambda: (
                [m for m in httpx.get(mine, headers=reporter_headers(alarm)).json() if m["from"] == "seat"]
                or None
            )
        )
        expect(said.locator(".receipt")).to_have_text("✓ delivered")
        expect(police.locator("#link")).to_have_text("110 link up")
    finally:
        intranet.stop()
        internet.stop()


def test_the_network_console_says_the_110_link_is_down_while_the_110_side_never_calls(
    browser: Browser, tmp_path: Path
) -> None:
    internet = internet_server(tmp_path, TOKEN)  # no intranet server pulls from it
    try:
        network = sign_in(desk(browser), internet.url, "futian.net")
        badge = network.locator("#link")
        expect(badge).to_have_attribute("data-state", "down")
        expect(badge).to_have_text("110 link DOWN: the 110 side has not called yet")
        network.locator("#lang").click()
        expect(badge).to_have_text("110链路中断：110侧尚未连接")
    finally:
        internet.stop()


def test_the_network_console_says_the_110_link_is_down_after_the_silence_the_server_is_set_to(
    browser: Browser, tmp_path: Path
) -> None:
    with linked_pair(tmp_path, TOKEN, NETALARM_LINK_DOWN_S="3") as (internet, intranet):
        network = sign_in(desk(browser), internet.url, "futian.net")
        badge = network.locator("#link")
        expect(badge).to_have_text("110 link up")
        intranet.stop()
        # Well before the default 30 s: the badge looks every 5 s, the calls are written every 2 s.
        expect(badge).to_have_attribute("data-state", "down", timeout=15_000)
        expect(badge).to_have_text(re.compile(r"^110 link DOWN: the 110 side last called at \d\d:\d\d:\d\d$"))


def test_on_a_merged_case_the_110_seat_replies_to_the_reporter_who_wrote_or_the_one_picked(
    browser: Browser, linked: tuple[Server, Server]
) -> None:
    internet, intranet = linked
    kept, merged, here = merged_inside(internet, intranet)
    assert reporter_post(internet.url, merged, "messages", {"text": "We are on the roof"}).status_code == 201

    police = sign_in(desk(browser), intranet.url, "shenzhen.110")
    open_incident(police, here["id"], here["case_number"])
    heard = police.locator(".messages .msg.from-reporter", has_text="We are on the roof")
    expect(heard.locator(".meta")).to_contain_text("Reporter 2")
    to = police.locator(".chat-to select")
    expect(to.locator("option:checked")).to_have_text("Reporter 2")
    police.locator(".chat textarea").fill("Stay there, a boat is coming")
    police.locator(".chat textarea").press("Enter")
    assert eventually(lambda: seat_texts(internet, merged) or None) == ["Stay there, a boat is coming"]

    to.select_option(label="Reporter 1")
    police.locator(".chat textarea").fill("Police are outside")
    police.locator(".chat textarea").press("Enter")
    expect(
        police.locator(".messages .msg.from-seat", has_text="Police are outside").locator(".meta")
    ).to_contain_text("→ Reporter 1")
    assert eventually(lambda: seat_texts(internet, kept) or None) == ["Police are outside"]
    assert seat_texts(internet, merged) == ["Stay there, a boat is coming"]
