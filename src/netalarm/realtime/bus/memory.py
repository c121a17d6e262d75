"""The in-process bus: events go straight to this process's hubs."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.realtime.bus import Deliver
from netalarm.realtime.events import Event


class MemoryBus:
    """For one server process: publishing delivers at once to the local subscriber."""

    name = "memory"

    def __init__(self) -> None:
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def publish(self, session: AsyncSession, events: Sequence[Event]) -> None:
        if self._deliver is None:
            return
        for event in events:
            self._deliver(event)

    async def close(self) -> None:
        self._deliver = None
