"""Who sees and takes what: two seats racing to accept, a sibling district that never sees
the incident, and the supervisor's view of seats online."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Browser, expect

from tests.e2e.seat_console import act, desk, open_incident, row, sign_in
from tests.support.http import FUTIAN, LUOHU, raise_alarm, seat_headers
from tests.support.servers import Server


def test_two_seats_race_to_accept_one_wins_the_other_sees_who(browser: Browser, demo_server: Server) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, silent=True)
    district, city = desk(browser), desk(browser)
    pages = {
        "futian.net": sign_in(district, base, "futian.net"),
        "shenzhen.net": sign_in(city, base, "shenzhen.net"),
    }
    for page in pages.values():
        open_incident(page, alarm["incident_id"], alarm["case_number"])
        expect(page.locator('[data-action="accept"]')).to_be_enabled()

    for page in pages.values():  # both clicks leave before either answer comes back
        page.evaluate("document.querySelector('[data-action=accept]').click()")

    for page in pages.values():
        expect(page.locator("#inc-status")).to_have_attribute("data-status", "accepted")
    timeline = httpx.get(
        f"{base}/api/v1/incidents/{alarm['incident_id']}/timeline", headers=seat_headers(base, "futian.net")
    ).json()
    accepted = [e["data"]["seat"] for e in timeline if e["type"] == "accepted"]
    assert len(accepted) == 1
    winner = accepted[0]
    loser = next(name for name in pages if name != winner)
    expect(pages[loser].locator("#inc-message")).to_have_text(f"Already accepted by {winner}.")
    expect(pages[loser].locator("#inc-accepted-by")).to_have_text(winner)
    expect(pages[winner].locator("#inc-message")).to_have_text("")
    district.close()
    city.close()


def test_a_sibling_district_never_sees_the_incident_in_the_queue_or_by_url(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    futian = raise_alarm(base, FUTIAN, category="fire")
    context = desk(browser)
    luohu = sign_in(context, base, "luohu.net")
    own = raise_alarm(base, LUOHU, category="fire")
    expect(row(luohu, own["incident_id"])).to_be_visible()
    expect(row(luohu, futian["incident_id"])).to_have_count(0)
    assert futian["case_number"] not in luohu.locator("#queue").inner_text()

    luohu.goto(f"{base}/seat#{futian['incident_id']}")
    expect(luohu.locator("#inc-message")).to_have_text("no such incident")
    expect(luohu.locator("#inc-case")).not_to_have_text(futian["case_number"])
    assert futian["case_number"] not in luohu.locator("body").inner_text()
    context.close()


def test_the_supervisor_sees_seats_online_their_incidents_and_sla_today(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, category="traffic")
    seat_context, supervisor_context = desk(browser), desk(browser)
    seat = sign_in(seat_context, base, "futian.net")
    open_incident(seat, alarm["incident_id"], alarm["case_number"])
    seat.locator("body").press("a")
    expect(seat.locator("#inc-status")).to_have_attribute("data-status", "accepted")

    supervisor = sign_in(supervisor_context, base, "futian.sup")
    supervisor.locator("#supervisor-tab").click()
    held = supervisor.locator('#seats-online tr[data-seat="futian.net"]')
    expect(held).to_contain_text(alarm["case_number"])
    expect(supervisor.locator("#sla-share")).to_have_text(re.compile(r"^\d+ %$"))
    expect(supervisor.locator("#sla-median")).to_contain_text(" s")
    expect(seat.locator("#supervisor-tab")).to_be_hidden()
    seat_context.close()
    supervisor_context.close()


def test_classify_merge_and_transfer_from_the_keyboard(browser: Browser, demo_server: Server) -> None:
    base = demo_server.url
    first = raise_alarm(base, FUTIAN, category="other", description="shouting in the street")
    again = raise_alarm(base, FUTIAN, category="other", description="same shouting, second caller")
    context, sibling_context = desk(browser), desk(browser)
    console = sign_in(context, base, "futian.net")
    open_incident(console, first["incident_id"], first["case_number"])

    act(console, "p", priority="P2", category="disturbance")
    expect(console.locator("#inc-facts .prio")).to_have_text("P2")
    expect(row(console, first["incident_id"])).to_have_attribute("data-priority", "P2")

    row(console, again["incident_id"]).press("Enter")  # a focused row opens from the keyboard
    expect(console.locator("#inc-case")).to_have_text(again["case_number"])
    act(console, "m", into=first["incident_id"])
    expect(console.locator("#inc-status")).to_have_attribute("data-status", "closed")
    expect(row(console, again["incident_id"])).to_have_count(0)

    open_incident(console, first["incident_id"], first["case_number"])
    act(console, "t", centre="440303")
    expect(row(console, first["incident_id"])).to_have_count(0)
    expect(console.locator("#placeholder")).to_contain_text(
        f"{first['case_number']} was transferred to 罗湖分局 Luohu by futian.net."
    )
    luohu = sign_in(sibling_context, base, "luohu.net")
    expect(row(luohu, first["incident_id"])).to_be_visible()
    context.close()
    sibling_context.close()


def test_e_escalates_the_open_case_to_the_parent_centre_after_a_confirmation_naming_it(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, category="fraud")
    context, city_context = desk(browser, locale="zh-CN"), desk(browser)
    console = sign_in(context, base, "futian.net")
    open_incident(console, alarm["incident_id"], alarm["case_number"])
    expect(console.locator('#actions [data-action="escalate"]')).to_have_text(re.compile(r"上报\s*E"))

    console.locator("body").press("e")
    dialog = console.locator("#action-dialog")
    expect(dialog).to_contain_text("上报至上级中心：440300 深圳市公安局 Shenzhen")
    dialog.locator('button[value="cancel"]').click()
    expect(row(console, alarm["incident_id"])).to_be_visible()

    console.locator('#actions [data-action="escalate"]').click()
    dialog.locator('button[value="ok"]').click()
    expect(row(console, alarm["incident_id"])).to_have_count(0)
    city = sign_in(city_context, base, "shenzhen.net")
    open_incident(city, alarm["incident_id"], alarm["case_number"])
    expect(city.locator("#inc-facts .centre")).to_contain_text("440300")
    expect(city.locator("#inc-status")).to_have_attribute("data-status", "received")
    at_the_top = city.locator('#actions [data-action="escalate"]')  # no superior server here
    expect(at_the_top).to_be_disabled()
    expect(at_the_top).to_have_attribute("title", "No centre or server above this one to escalate to.")
    context.close()
    city_context.close()


def test_the_supervisor_view_in_chinese_names_columns_roles_and_centres_in_chinese(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    seat_context, supervisor_context = desk(browser, locale="zh-CN"), desk(browser, locale="zh-CN")
    sign_in(seat_context, base, "futian.net")
    supervisor = sign_in(supervisor_context, base, "futian.sup")
    supervisor.locator("#supervisor-tab").click()

    panel = supervisor.locator("#supervisor")
    expect(panel.locator("h2").first).to_have_text("今日受理时限达标情况 · 福田分局 Futian")
    headers = ["坐席", "角色", "中心", "最近操作", "坐席终端", "处理中的警情"]
    expect(panel.locator("#seats-online thead th")).to_have_text(headers)
    network = panel.locator('#seats-online tr[data-seat="futian.net"] td')
    expect(network.nth(1)).to_have_text("网络报警坐席")
    expect(network.nth(2)).to_have_text("福田分局 Futian")
    expect(network.nth(4)).to_have_text("在线")
    expect(panel.locator('#seats-online tr[data-seat="futian.sup"] td').nth(1)).to_have_text("值班长")
    seat_context.close()
    supervisor_context.close()


def test_a_case_a_seat_escalates_is_told_to_its_other_seats_and_alerted_to_the_parent_centre(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, category="fraud")
    case = alarm["case_number"]
    contexts = [desk(browser), desk(browser, locale="zh-CN"), desk(browser, locale="zh-CN")]
    acting, colleague, city = (
        sign_in(c, base, u)
        for c, u in zip(contexts, ["futian.net", "futian.net", "shenzhen.net"], strict=True)
    )
    open_incident(acting, alarm["incident_id"], case)
    act(acting, "e")

    expect(colleague.locator("#toasts")).to_contain_text(
        f"{case} 已由 futian.net 上报至 深圳市公安局 Shenzhen。"
    )
    expect(acting.locator("#placeholder")).to_contain_text(
        f"{case} was escalated to 深圳市公安局 Shenzhen by futian.net."
    )
    alert = city.locator(f'#toasts .toast[data-id="{alarm["incident_id"]}"]')
    expect(alert).to_have_text(f"{case} 由 futian.net 从 福田分局 Futian 上报至本中心")
    assert "警情上报至本中心" in city.evaluate("window.__notifications")
    for context in contexts:
        context.close()
