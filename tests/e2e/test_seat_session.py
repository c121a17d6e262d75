"""The console signs a seat out after the configured idle time (3 s here); a seat at work
(typing, clicking) stays signed in though the console's own polling never counts. A username
locked after failed sign-ins (2 here) is told how long to wait, in the console's language; a
console whose seat is disabled returns to the sign-in page saying the session ended."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.seat_console import desk, sign_in
from tests.support.http import DEMO_PASSWORD
from tests.support.servers import Server, demo_with, netalarm


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("idle-console")
    env = {
        "NETALARM_DATA_DIR": str(data),
        "NETALARM_DATABASE_URL": "",
        "NETALARM_SEAT_IDLE_TIMEOUT_S": "3",
        "NETALARM_LOGIN_MAX_FAILURES": "2",
    }
    assert netalarm(["demo"], env).returncode == 0
    server = Server(env, log=Path(data) / "server.log").start()
    yield server
    server.stop()


def test_an_unattended_console_signs_out_and_a_working_one_does_not(
    browser: Browser, idle_server: Server
) -> None:
    away_context, busy_context = desk(browser), desk(browser, "zh-CN")
    away = sign_in(away_context, idle_server.url, "futian.net")
    busy = sign_in(busy_context, idle_server.url, "futian.sup")
    for _ in range(10):  # 5 s, the idle limit passes; only one seat touches its keyboard
        busy.locator("body").press("Shift")
        time.sleep(0.5)

    expect(away.locator("#login")).to_be_visible()
    expect(away.locator("#login-error")).to_have_text(
        "You were signed out after a period of inactivity. Sign in again."
    )
    expect(busy.locator("#console")).to_be_visible()
    expect(busy.locator("#login")).to_be_hidden()
    away_context.close()
    busy_context.close()


def test_a_locked_username_is_told_the_minutes_to_wait_not_wrong_password(
    browser: Browser, idle_server: Server
) -> None:
    def attempt(page: Page, password: str) -> None:
        page.locator("#username").fill("luohu.net")
        page.locator("#password").fill(password)
        page.locator("#login-form button[type=submit]").click()

    english_context, chinese_context = desk(browser), desk(browser, "zh-CN")
    english, chinese = english_context.new_page(), chinese_context.new_page()
    english.goto(f"{idle_server.url}/seat")
    attempt(english, "wrong password")
    expect(english.locator("#login-error")).to_have_text("Wrong username or password.")
    attempt(english, "wrong password")  # the second failure locks the name for 900 s
    expect(english.locator("#login-error")).to_have_text("Too many failed sign-ins. Try again in 15 minutes.")
    chinese.goto(f"{idle_server.url}/seat")
    attempt(chinese, DEMO_PASSWORD)  # the right password, still locked
    expect(chinese.locator("#login-error")).to_have_text("登录失败次数过多，请 15 分钟后再试。")
    expect(chinese.locator("#console")).to_be_hidden()
    english_context.close()
    chinese_context.close()


def test_a_console_whose_seat_is_disabled_returns_to_sign_in_saying_the_session_ended(
    browser: Browser, tmp_path: Path
) -> None:
    with demo_with(tmp_path, NETALARM_WS_HEARTBEAT_S="1") as server:
        context = desk(browser, "zh-CN")
        page = sign_in(context, server.url, "nanshan.net")
        disabled = netalarm(["seat", "disable", "nanshan.net"], server.env)
        assert disabled.returncode == 0, disabled.stderr
        expect(page.locator("#login")).to_be_visible()
        expect(page.locator("#login-error")).to_have_text(
            "登录已失效（已过期、已退出或账号已变更），请重新登录。"
        )
        context.close()
