"""`core.tasks.cancel`: background tasks stop, and are waited for, as one step."""

from __future__ import annotations

import asyncio

import pytest

from netalarm.core import tasks


async def test_every_task_is_cancelled_and_has_ended_when_cancel_returns() -> None:
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    running = [asyncio.create_task(forever()) for _ in range(3)]
    await started.wait()
    await tasks.cancel(*running, None)
    assert all(task.done() and task.cancelled() for task in running)


async def test_an_error_other_than_the_cancellation_propagates() -> None:
    async def fails_on_cancel() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise RuntimeError("cleanup failed") from None

    task = asyncio.create_task(fails_on_cancel())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="cleanup failed"):
        await tasks.cancel(task)


async def test_nothing_started_is_nothing_to_stop() -> None:
    await tasks.cancel(None)
    await tasks.cancel()
