"""HTTP helpers for API tests: sign in a seat, raise an alarm."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

DEMO_PASSWORD = "demo-pass-110"
FUTIAN = (22.5431, 114.0579)
LUOHU = (22.5460, 114.1180)
NANSHAN = (22.5330, 113.9360)
BAOAN = (22.6550, 113.8830)


def seat_headers(base: str, username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    answer = httpx.post(f"{base}/api/v1/auth/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def raise_alarm(base: str, point: tuple[float, float] | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"idempotency_key": f"test-{secrets.token_hex(8)}", **fields}
    if point:
        body["location"] = {"lat": point[0], "lon": point[1], "accuracy_m": 15, "source": "gps"}
    answer = httpx.post(f"{base}/api/v1/alarms", json=body)
    assert answer.status_code == 201, answer.text
    alarm: dict[str, Any] = answer.json()
    return alarm


def raise_many(base: str, count: int, point: tuple[float, float], **fields: Any) -> list[dict[str, Any]]:
    """`count` alarms at `point`, eight at a time (a disaster's worth takes seconds, not minutes)."""
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda _: raise_alarm(base, point, **fields), range(count)))


def reporter_headers(alarm: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {alarm['reporter_token']}"}


def reporter_post(
    base: str, alarm: dict[str, Any], path: str, body: dict[str, Any], *, as_of: dict[str, Any] | None = None
) -> httpx.Response:
    """POST `body` to `/api/v1/alarms/<alarm id>/<path>` with the token of `as_of` (another
    alarm's reporter) or else of the alarm's own reporter."""
    return httpx.post(
        f"{base}/api/v1/alarms/{alarm['id']}/{path}", json=body, headers=reporter_headers(as_of or alarm)
    )
