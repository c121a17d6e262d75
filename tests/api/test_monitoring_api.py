"""`GET /metrics`: Prometheus text for this machine, or for a scraper holding the token."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.support.http import FUTIAN, raise_alarm, seat_headers
from tests.support.servers import Server, demo_with


def sample(text: str, name: str, **labels: str) -> float:
    """The value of the one sample of `name` with exactly these labels."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    pattern = rf"^{re.escape(name)}{re.escape('{' + wanted + '}') if labels else ''} (\S+)$"
    [value] = re.findall(pattern, text, flags=re.MULTILINE)
    return float(value)


def test_this_machine_reads_open_incidents_and_the_oldest_wait(demo_server: Server) -> None:
    alarm = raise_alarm(demo_server.url, FUTIAN, category="violence")
    incident = httpx.get(
        f"{demo_server.url}/api/v1/incidents/{alarm['incident_id']}",
        headers=seat_headers(demo_server.url, "futian.net"),
    ).json()
    answer = httpx.get(f"{demo_server.url}/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    assert sample(text, "netalarm_open_incidents", status="received", priority=incident["priority"]) >= 1
    assert sample(text, "netalarm_oldest_unaccepted_seconds", priority=incident["priority"]) >= 0
    assert sample(text, "netalarm_outbox_unpublished") >= 0
    assert sample(text, "netalarm_sms_deliveries", status="failed") >= 0
    assert 'netalarm_info{centre="440300",role="internet"' in text


def test_another_machine_is_refused_while_no_token_is_set(demo_server: Server) -> None:
    # What a reverse proxy on this machine passes on for a client elsewhere.
    answer = httpx.get(f"{demo_server.url}/metrics", headers={"X-Forwarded-For": "203.0.113.7"})
    assert answer.status_code == 403
    error = answer.json()["error"]
    assert error["code"] == "metrics_local_only" and "NETALARM_METRICS_TOKEN" in error["message"]


@pytest.fixture(scope="module")
def scraped_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with demo_with(tmp_path_factory.mktemp("metrics"), NETALARM_METRICS_TOKEN="scrape-secret") as server:
        yield server


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
def test_with_a_token_set_a_scraper_without_it_is_refused_even_here(
    scraped_server: Server, headers: dict[str, str]
) -> None:
    answer = httpx.get(f"{scraped_server.url}/metrics", headers=headers)
    assert answer.status_code == 401 and answer.json()["error"]["field"] == "authorization"


def test_with_a_token_set_a_scraper_holding_it_reads_from_anywhere(scraped_server: Server) -> None:
    answer = httpx.get(
        f"{scraped_server.url}/metrics",
        headers={"Authorization": "Bearer scrape-secret", "X-Forwarded-For": "203.0.113.7"},
    )
    assert answer.status_code == 200
    assert sample(answer.text, "netalarm_consoles_present") == 0
