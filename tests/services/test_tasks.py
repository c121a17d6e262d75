"""`core.tasks`: background tasks stop, and are waited for, as one step; a periodic job goes
on after a run that failed."""

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


async def test_a_periodic_job_runs_again_after_a_run_that_failed_and_the_failure_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs: list[int] = []
    third = asyncio.Event()

    async def job() -> None:
        runs.append(len(runs) + 1)
        if len(runs) == 3:
            third.set()
        if len(runs) == 1:
            raise RuntimeError("storage away")

    periodic = asyncio.create_task(tasks.every(0.01, job, what="the test job"))
    await asyncio.wait_for(third.wait(), 5)
    await tasks.cancel(periodic)
    assert runs[:3] == [1, 2, 3]
    assert "the test job failed" in caplog.text and "storage away" in caplog.text
