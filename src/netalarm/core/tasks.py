"""Stopping the background tasks a process runs (relay, watchdog, batcher, workers)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def cancel(*tasks: asyncio.Task[Any] | None) -> None:
    """Cancel every task given (None: nothing started) and wait until each has ended; a task
    that ends by its cancellation is no error, any other error it raises propagates."""
    running = [task for task in tasks if task is not None]
    for task in running:
        task.cancel()
    for task in running:
        with contextlib.suppress(asyncio.CancelledError):
            await task
