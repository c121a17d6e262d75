"""The web pages are served and render in a real browser."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.support.servers import Server


def test_reporter_and_seat_pages_load_in_chromium(browser: Browser, demo_server: Server) -> None:
    page = browser.new_page()
    for path in ("/", "/report", "/seat"):
        response = page.goto(demo_server.url + path)
        assert response is not None and response.status == 200
        assert page.locator("main").count() == 1
    page.close()
