"""Media fixtures: a real S3-compatible server (moto in server mode) on loopback, one server
process per storage back end, and the sample files. Every media test that takes `backend`
runs once on the local folder and once on S3."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from netalarm.media.storage import Storage, from_url
from netalarm.media.storage.s3 import S3Storage
from tests.media.samples import all_samples
from tests.support.servers import Server, free_port, netalarm

S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "netalarm-test",
    "AWS_SECRET_ACCESS_KEY": "netalarm-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3-compatible server as a subprocess on 127.0.0.1, for the whole run."""
    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=log,
        env={**os.environ, **S3_CREDENTIALS},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError("moto server did not start")
    os.environ.update(S3_CREDENTIALS)  # for the test process's own S3 client
    yield url
    process.terminate()
    process.wait(timeout=10)
    log.close()


@dataclass
class Backend:
    """A storage back end as the server sees it (`env`) and as the tests inspect it."""

    name: str
    env: dict[str, str]
    storage: Storage


@pytest.fixture(scope="session", params=["local", "s3"])
def backend_name(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def make_backend(name: str, data: Path, s3_endpoint: str | None) -> Backend:
    if name == "local":
        url = f"file://{data / 'media'}"
    else:
        url = f"s3://media-{secrets.token_hex(4)}/evidence?endpoint_url={s3_endpoint}&region=us-east-1"
    env = {"NETALARM_MEDIA_URL": url, **(S3_CREDENTIALS if name == "s3" else {})}
    return Backend(name, env, from_url(url, data))


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return all_samples(tmp_path_factory.mktemp("samples"))


@dataclass
class MediaServer:
    server: Server
    backend: Backend

    @property
    def url(self) -> str:
        return self.server.url


def start_media_server(
    name: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest, **settings: str
) -> MediaServer:
    data = tmp_path_factory.mktemp(f"media-{name}")
    s3 = request.getfixturevalue("s3_endpoint") if name == "s3" else None
    backend = make_backend(name, data, s3)
    env = {"NETALARM_DATA_DIR": str(data), "NETALARM_DATABASE_URL": "", **backend.env, **settings}
    seeded = netalarm(["demo"], env)
    assert seeded.returncode == 0, seeded.stderr
    return MediaServer(Server(env, log=data / "server.log").start(), backend)


@pytest.fixture(scope="session")
def media_server(
    backend_name: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[MediaServer]:
    """The demo on SQLite with media limits small enough to test: 16 MiB a file, 24 MiB an alarm."""
    started = start_media_server(
        backend_name,
        tmp_path_factory,
        request,
        NETALARM_MEDIA_MAX_FILE_BYTES=str(16 * 1024 * 1024),
        NETALARM_MEDIA_MAX_ALARM_BYTES=str(24 * 1024 * 1024),
    )
    yield started
    started.server.stop()


@pytest.fixture(scope="session")
def strict_server(
    backend_name: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[MediaServer]:
    """A server whose uploads expire after 2 s and that allows 3 uploads per reporter a minute."""
    started = start_media_server(
        backend_name,
        tmp_path_factory,
        request,
        NETALARM_MEDIA_UPLOAD_EXPIRY_S="2",
        NETALARM_MEDIA_UPLOAD_RATE="3",
        NETALARM_MEDIA_UPLOAD_RATE_WINDOW_S="60",
    )
    yield started
    started.server.stop()


@pytest.fixture(params=["local", "s3"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    """An opened storage, once a folder and once an S3 bucket of its own; on S3 a part is the
    smallest S3 allows, so a few MiB make several parts and a tail."""
    if request.param == "local":
        store = from_url("", tmp_path)
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        store = S3Storage(bucket=f"test-{secrets.token_hex(4)}", prefix="p", endpoint_url=endpoint)
        store.part_size = 5 * 1024 * 1024
    await store.open()
    yield store
    await store.close()
