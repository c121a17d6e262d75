"""Media on PostgreSQL: the same upload, refusal, verification and expiry paths as on SQLite
(conditional updates for leases and expiry, JSONB storage state, big integers)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.media import tus
from tests.media.conftest import MediaServer, start_media_server
from tests.media.samples import HTML
from tests.support.http import FUTIAN, raise_alarm, seat_headers


@pytest.fixture(scope="session")
def pg_media_server(
    pg_url: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[MediaServer]:
    started = start_media_server(
        "local",
        tmp_path_factory,
        request,
        NETALARM_DATABASE_URL=pg_url,
        NETALARM_CENTRE="440300",
        NETALARM_MEDIA_UPLOAD_EXPIRY_S="3",
    )
    yield started
    started.server.stop()


def test_an_upload_in_two_pieces_is_stored_hashed_and_verifiable(
    pg_media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base, alarm = pg_media_server.url, raise_alarm(pg_media_server.url, FUTIAN)
    data = samples["clip.mp4"]
    url = base + tus.create(base, alarm, len(data), "clip.mp4").headers["location"]
    half = len(data) // 2
    first = tus.patch(url, alarm, 0, data[:half], upload_checksum=tus.checksum(data[:half]))
    assert first.status_code == 204 and first.headers["upload-offset"] == str(half)
    assert tus.patch(url, alarm, 0, data).status_code == 409
    assert tus.patch(url, alarm, half, data[half:]).status_code == 204
    seat = seat_headers(base, "futian.net")
    media = f"{base}/api/v1/incidents/{alarm['incident_id']}/media"
    (listed,) = httpx.get(media, headers=seat).json()
    assert listed["sha256"] == hashlib.sha256(data).hexdigest() and listed["kind"] == "video"
    part = httpx.get(f"{media}/{listed['id']}", headers={**seat, "Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == data[10:20]
    assert httpx.get(f"{media}/{listed['id']}/verify", headers=seat).json()["ok"] is True


def test_an_impostor_is_refused_on_postgres_too(pg_media_server: MediaServer) -> None:
    base, alarm = pg_media_server.url, raise_alarm(pg_media_server.url, FUTIAN)
    url, refused = tus.upload(base, alarm, HTML, "photo.jpg")
    assert refused.status_code == 415
    assert tus.head(url, alarm).status_code == 404


def test_an_abandoned_upload_expires(pg_media_server: MediaServer, samples: dict[str, bytes]) -> None:
    base, alarm = pg_media_server.url, raise_alarm(pg_media_server.url, FUTIAN)
    data = samples["voice.wav"]
    url = base + tus.create(base, alarm, len(data), "v.wav").headers["location"]
    tus.patch(url, alarm, 0, data[:1000])
    deadline = time.monotonic() + 20
    while tus.head(url, alarm).status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.25)
    assert tus.head(url, alarm).status_code == 404
    media_folder = pg_media_server.server.env["NETALARM_MEDIA_URL"].removeprefix("file://")
    deadline = time.monotonic() + 20
    while (list_uploads := _staged(media_folder, tus.media_id(url))) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert list_uploads == []


def _staged(folder: str, upload_id: str) -> list[str]:
    return [p.name for p in (Path(folder) / "uploads").glob(f"{upload_id}*")]
