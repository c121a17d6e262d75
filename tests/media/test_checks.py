"""What the server accepts: real types by leading bytes, decodable files, size limits, a rate
limit per reporter, and expiry of unfinished uploads. A refused file leaves nothing behind."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.media import tus
from tests.media.conftest import MediaServer
from tests.media.samples import EXPECTED, HTML, executable
from tests.support.http import FUTIAN, raise_alarm, reporter_headers, seat_headers


def _keys_of(server: MediaServer, upload_id: str) -> list[str]:
    return [k for k in asyncio.run(server.backend.storage.keys()) if upload_id in k]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_accepted_type_is_recognised_by_its_bytes_whatever_its_name(
    media_server: MediaServer, samples: dict[str, bytes], name: str
) -> None:
    base, alarm = media_server.url, raise_alarm(media_server.url, FUTIAN)
    url, done = tus.upload(base, alarm, samples[name], "upload.bin")  # the name says nothing
    assert done.status_code == 204, done.text
    listed = httpx.get(f"{base}/api/v1/alarms/{alarm['id']}/media", headers=reporter_headers(alarm)).json()
    (media,) = [m for m in listed if m["id"] == tus.media_id(url)]
    assert (media["kind"], media["content_type"]) == EXPECTED[name]
    if media["kind"] in ("video", "audio"):
        assert media["duration_s"] == pytest.approx(2.0, abs=0.1)
    assert (media["preview_url"] is not None) == (media["kind"] != "audio")


def _truncated_jpeg(samples: dict[str, bytes]) -> bytes:
    return samples["photo.jpg"][: len(samples["photo.jpg"]) // 2]


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("renamed executable", 415, "unsupported_media_type"),
        ("html named .jpg", 415, "unsupported_media_type"),
        ("truncated jpeg", 415, "corrupt_media"),
        ("truncated mp4", 415, "corrupt_media"),
    ],
)
def test_impostors_are_refused_and_nothing_is_left_in_storage(
    media_server: MediaServer, samples: dict[str, bytes], case: str, status: int, code: str
) -> None:
    data = {
        "renamed executable": executable(),
        "html named .jpg": HTML,
        "truncated jpeg": _truncated_jpeg(samples),
        "truncated mp4": samples["clip.mp4"][:2000],
    }[case]
    base, alarm = media_server.url, raise_alarm(media_server.url, FUTIAN)
    url, refused = tus.upload(base, alarm, data, "evidence.jpg")
    assert refused.status_code == status, refused.text
    assert refused.json()["error"]["code"] == code
    assert _keys_of(media_server, tus.media_id(url)) == []
    assert tus.head(url, alarm).status_code == 404
    listed = httpx.get(f"{base}/api/v1/alarms/{alarm['id']}/media", headers=reporter_headers(alarm))
    assert listed.json() == []


def test_a_zero_byte_file_is_refused_at_creation(media_server: MediaServer) -> None:
    base, alarm = media_server.url, raise_alarm(media_server.url, FUTIAN)
    before = asyncio.run(media_server.backend.storage.keys())
    refused = tus.create(base, alarm, 0, "empty.jpg")
    assert refused.status_code == 415 and refused.json()["error"]["code"] == "empty_file"
    assert "location" not in refused.headers
    assert asyncio.run(media_server.backend.storage.keys()) == before


def test_a_file_over_the_per_file_limit_is_413_before_any_byte(media_server: MediaServer) -> None:
    base, alarm = media_server.url, raise_alarm(media_server.url, FUTIAN)
    refused = tus.create(base, alarm, 16 * 1024 * 1024 + 1, "huge.mp4")
    assert refused.status_code == 413 and refused.json()["error"]["field"] == "Upload-Length"


def test_files_over_the_per_alarm_limit_are_413(media_server: MediaServer) -> None:
    base, alarm = media_server.url, raise_alarm(media_server.url, FUTIAN)
    first = tus.create(base, alarm, 15 * 1024 * 1024, "one.mp4")
    assert first.status_code == 201  # reserved while under way
    second = tus.create(base, alarm, 10 * 1024 * 1024, "two.mp4")
    assert second.status_code == 413 and "an alarm may carry" in second.json()["error"]["message"]
    assert tus.create(base, alarm, 9 * 1024 * 1024, "three.mp4").status_code == 201


def test_upload_creation_is_rate_limited_per_reporter_token(strict_server: MediaServer) -> None:
    base = strict_server.url
    alarm, neighbour = raise_alarm(base, FUTIAN), raise_alarm(base, FUTIAN)
    for _ in range(3):
        assert tus.create(base, alarm, 100, "a.jpg").status_code == 201
    limited = tus.create(base, alarm, 100, "a.jpg")
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "too_many_requests"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert tus.create(base, neighbour, 100, "a.jpg").status_code == 201  # another token is unaffected


def test_unfinished_uploads_expire_and_are_removed(
    strict_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base, alarm = strict_server.url, raise_alarm(strict_server.url, FUTIAN)
    data = samples["clip.mov"]
    url = base + tus.create(base, alarm, len(data), "c.mov").headers["location"]
    assert "upload-expires" in tus.patch(url, alarm, 0, data[:40_000]).headers
    upload_id = tus.media_id(url)
    assert _keys_of(strict_server, upload_id) != []
    deadline = time.monotonic() + 15
    while _keys_of(strict_server, upload_id) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert _keys_of(strict_server, upload_id) == []
    assert tus.head(url, alarm).status_code == 404
    assert tus.patch(url, alarm, 40_000, data[40_000:]).status_code == 404


def test_no_uploads_to_a_closed_case(media_server: MediaServer) -> None:
    base, alarm = media_server.url, raise_alarm(media_server.url, FUTIAN)
    seat = seat_headers(base, "futian.net")
    closed = httpx.post(
        f"{base}/api/v1/incidents/{alarm['incident_id']}/actions/close",
        json={"disposition": "false_alarm"},
        headers=seat,
    )
    assert closed.status_code == 200, closed.text
    refused = tus.create(base, alarm, 100, "late.jpg")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "incident_closed"
