"""The printable report as a person reads it: every time in the server's time zone
(`NETALARM_TIMEZONE`) to the second with the zone named, while the API keeps ISO UTC; and a
report link opened after it expired gives a page saying so, not a JSON error."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.api.test_seat_console_api import _closed_incident
from tests.support.http import seat_headers
from tests.support.servers import Server, demo_with

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def berlin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A demo server in Berlin's time zone whose report links last 1 s."""
    with demo_with(
        tmp_path_factory.mktemp("berlin"), NETALARM_TIMEZONE="Europe/Berlin", NETALARM_REPORT_LINK_TTL_S="1"
    ) as server:
        yield server


def _local(value: str, zone: str) -> str:
    at = datetime.fromisoformat(value).astimezone(ZoneInfo(zone))
    return f"{at:%Y-%m-%d %H:%M:%S} ({zone})"


@pytest.mark.parametrize(
    ("server", "zone"), [("demo_server", "Asia/Shanghai"), ("berlin_server", "Europe/Berlin")]
)
def test_the_report_tells_every_time_in_the_servers_zone_to_the_second_and_the_api_keeps_utc(
    request: pytest.FixtureRequest, server: str, zone: str
) -> None:
    base = request.getfixturevalue(server).url
    seat = seat_headers(base, "futian.net")
    alarm = _closed_incident(base, seat)
    incident = f"{base}/api/v1/incidents/{alarm['incident_id']}"
    shown = httpx.get(incident, headers=seat).json()
    entries = httpx.get(f"{incident}/timeline", headers=seat).json()
    assert shown["created_at"].endswith("Z") and all(e["at"].endswith("Z") for e in entries)
    for lang in ("en", "zh"):
        page = httpx.get(f"{incident}/report.html?lang={lang}", headers=seat).text
        assert ISO.search(page) is None, ISO.search(page)
        for moment in (shown["created_at"], shown["accepted_at"], shown["closed_at"], entries[-1]["at"]):
            assert _local(moment, zone) in page
        assert "UTC" not in page


def test_an_expired_report_link_opened_in_a_browser_says_so_and_to_print_again(berlin_server: Server) -> None:
    base = berlin_server.url
    seat = seat_headers(base, "futian.net")
    alarm = _closed_incident(base, seat)
    links = {
        lang: httpx.post(
            f"{base}/api/v1/incidents/{alarm['incident_id']}/report-link?lang={lang}", headers=seat
        ).json()["url"]
        for lang in ("en", "zh")
    }
    assert httpx.get(base + links["en"], headers=BROWSER).status_code == 200
    time.sleep(2.1)

    english = httpx.get(base + links["en"], headers=BROWSER)
    assert english.status_code == 401 and english.headers["content-type"].startswith("text/html")
    assert "This report link has expired." in english.text and "print it again" in english.text
    chinese = httpx.get(base + links["zh"], headers=BROWSER)
    assert chinese.status_code == 401 and chinese.headers["content-type"].startswith("text/html")
    assert "报告链接已过期。" in chinese.text and "重新打印" in chinese.text
    forged = httpx.get(base + links["en"].replace("sig=", "sig=0"), headers=BROWSER)
    assert forged.status_code == 401 and "This report link is not valid." in forged.text
    not_hex = httpx.get(base + links["en"].replace("sig=", "sig=%F0%9F%98%80"))  # non-ASCII, not a 500
    assert not_hex.status_code == 401 and not_hex.json()["error"]["field"] == "sig"
    api_client = httpx.get(base + links["en"])
    assert api_client.status_code == 401 and api_client.json()["error"]["field"] == "exp"
