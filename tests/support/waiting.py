"""Waiting for what another process does in its own time (a puller, a sender)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(probe: Callable[[], T | None], timeout: float = 20) -> T:
    """The first value other than None that `probe` returns, asked every 0.1 s; fails the
    test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s")
