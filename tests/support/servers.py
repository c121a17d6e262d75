"""Real server processes for tests: `netalarm serve` started as a subprocess, talked to over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def netalarm(
    args: list[str], env: dict[str, str], *, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the `netalarm` CLI as a user would, with the given settings."""
    return subprocess.run(
        [sys.executable, "-m", "netalarm.cli", *args],
        env={**os.environ, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@dataclass
class Server:
    """One `netalarm serve` process. `env` holds its NETALARM_* settings."""

    env: dict[str, str]
    port: int = field(default_factory=free_port)
    log: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> Server:
        log = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "netalarm.cli", "serve", "--port", str(self.port)],
            env={**os.environ, **self.env},
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {self.log}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server on {self.url} not ready in {timeout} s; see {self.log}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to finish anything."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@contextmanager
def demo_with(data: Path, **settings: str) -> Iterator[Server]:
    """The demo on the embedded defaults (SQLite in `data`) with these `NETALARM_*` settings:
    seeded, started, and stopped afterwards."""
    env = {"NETALARM_DATA_DIR": str(data), "NETALARM_DATABASE_URL": "", **settings}
    seeded = netalarm(["demo"], env)
    assert seeded.returncode == 0, seeded.stderr
    server = Server(env, log=data / "server.log").start()
    try:
        yield server
    finally:
        server.stop()
