"""Escalating from the root centre's console to the superior server: the dialog says where the
case goes, and the superior's seat is alerted and its steps read back below."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.seat_console import desk, open_incident, row, sign_in
from tests.support.federation import SUPERIOR_SEAT, subordinate_server, superior_server
from tests.support.http import raise_alarm
from tests.support.servers import Server

KEY = secrets.token_hex(16)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    above = superior_server(tmp_path_factory.mktemp("e2e-superior"), f"440300={KEY}")
    below = subordinate_server(tmp_path_factory.mktemp("e2e-subordinate"), above, KEY)
    yield below, above
    below.stop()
    above.stop()


def test_the_root_seat_escalates_to_the_superior_whose_seat_takes_the_case(
    browser: Browser, pair: tuple[Server, Server]
) -> None:
    below, above = pair
    province = sign_in(desk(browser), above.url, SUPERIOR_SEAT)
    tones = province.evaluate("window.__tones")
    alarm = raise_alarm(below.url, None, category="violence", description="Gang fight across the city line")
    city = sign_in(desk(browser), below.url, "shenzhen.net")
    expect(city.locator("#superior-link")).to_have_text("Superior server linked")
    open_incident(city, alarm["incident_id"], alarm["case_number"])

    city.locator("body").press("e")
    dialog = city.locator("#action-dialog")
    expect(dialog).to_contain_text("Escalate to the superior alarm server.")
    dialog.locator('button[value="ok"]').click()
    timeline = city.locator("#timeline")
    expect(timeline).to_contain_text("Escalated to the superior alarm server (by a seat; was received)")
    expect(timeline).to_contain_text("The superior server has the case")
    expect(row(city, alarm["incident_id"])).to_be_visible()  # it stays here too

    queued = province.locator("#queue > li[data-id]").first
    expect(queued).to_be_visible(timeout=5_000)
    province.wait_for_function(f"window.__tones > {tones}")
    open_incident(province, queued.get_attribute("data-id") or "", queued.get_attribute("data-case") or "")
    expect(province.locator("#timeline")).to_contain_text(
        f"Escalated here by server 440300 (centre 440300, their case {alarm['case_number']}"
    )
    province.locator("body").press("a")
    expect(city.locator("#inc-status")).to_have_attribute("data-status", "accepted")
    expect(timeline).to_contain_text(f"accepted by seat {SUPERIOR_SEAT}")
