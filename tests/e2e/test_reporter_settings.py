"""The reporter app follows the server's settings: the alarm SMS number it offers offline and
the map tiles it loads (none unless configured)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.reporter_app import open_app, phone, somewhere_in_futian
from tests.support.servers import Server, demo_with


@pytest.fixture(scope="module")
def configured_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A demo server whose map tiles are served by itself (any image will do as a tile)."""
    with demo_with(
        tmp_path_factory.mktemp("configured"),
        NETALARM_SMS_NUMBER="12345",
        NETALARM_MAP_TILE_URL="/static/reporter/icons/icon-192.png?z={z}&x={x}&y={y}",
        NETALARM_MAP_TILE_ATTRIBUTION="Test tiles",
    ) as server:
        yield server


def test_the_sms_number_and_map_tiles_come_from_the_settings(
    browser: Browser, configured_server: Server
) -> None:
    context = phone(browser, at=somewhere_in_futian())
    page = open_app(context, configured_server.url)
    page.locator("[data-category=fraud]").tap()

    expect(page.locator("#map img.leaflet-tile").first).to_be_attached()
    tile = page.locator("#map img.leaflet-tile").first.get_attribute("src") or ""
    assert tile.startswith("/static/reporter/icons/icon-192.png?z=")
    expect(page.locator("#map .leaflet-control-attribution")).to_contain_text("Test tiles")

    context.set_offline(True)
    page.locator("#details-form button[type=submit]").tap()
    expect(page.locator("#view-waiting")).to_be_visible()
    expect(page.locator("#sms-link")).to_contain_text("12345")
    sms = unquote(page.locator("#sms-link").get_attribute("href") or "")
    assert sms.startswith("sms:12345?body=报警：") and "诈骗" in sms  # a form's alarm asks for no quiet
    context.close()
