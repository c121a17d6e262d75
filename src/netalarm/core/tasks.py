"""Running and stopping the background tasks a process runs (relay, watchdog, batcher,
workers, sweepers)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


async def every(interval_s: float, job: Callable[[], Awaitable[object]], *, what: str) -> None:
    """Run `job` every `interval_s` seconds, the first time after one interval, until
    cancelled. A run that fails (the database or the storage away) is logged as `what` and
    the job runs again next time: the server goes on."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            await job()
        except Exception:
            log.exception("%s failed", what)


async def cancel(*tasks: asyncio.Task[Any] | None) -> None:
    """Cancel every task given (None: nothing started) and wait until each has ended; a task
    that ends by its cancellation is no error, any other error it raises propagates."""
    running = [task for task in tasks if task is not None]
    for task in running:
        task.cancel()
    for task in running:
        with contextlib.suppress(asyncio.CancelledError):
            await task
