"""Starting and stopping the realtime parts of one server process: the bus, the hub, the
outbox relay, the pruning of old published events and the SLA watchdog."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, field

from netalarm.core import tasks
from netalarm.core.http import Runtime
from netalarm.incidents import sla
from netalarm.realtime import commits, retention
from netalarm.realtime.bus import Bus, make_bus
from netalarm.realtime.hub import Hub
from netalarm.realtime.relay import Relay

log = logging.getLogger(__name__)

# The exit status of a process stopped by `NETALARM_FAULT_EXIT_AFTER_COMMIT`.
FAULT_EXIT_STATUS = 75


@dataclass
class Realtime:
    bus: Bus
    hub: Hub
    relay: Relay
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def stop(self) -> None:
        await tasks.cancel(*self.tasks)
        await self.bus.close()


async def start(rt: Runtime) -> Realtime:
    """Connect the bus, feed the hub from it, and start the relay and the watchdog. The
    relay runs once at once: rows left unpublished by a crash go out now."""
    settings = rt.settings
    bus = make_bus(settings.bus_url, sessions=rt.sessions, database_url=settings.resolved_database_url)
    hub = Hub()
    await bus.start(hub.dispatch)
    relay = Relay(rt.sessions, bus, poll_s=settings.relay_poll_s)

    def committed() -> None:
        if settings.fault_exit_after_commit:
            # The crash between commit and publish that the relay must survive.
            log.error("fault injection: exiting after a commit, before publishing")
            os._exit(FAULT_EXIT_STATUS)
        relay.wake()

    commits.watch(rt.sessions, committed)
    realtime = Realtime(bus, hub, relay)
    realtime.tasks.append(asyncio.create_task(relay.run(), name="netalarm-relay"))
    realtime.tasks.append(
        asyncio.create_task(
            retention.prune_forever(rt.sessions, settings.outbox_keep_s), name="netalarm-retention"
        )
    )
    realtime.tasks.append(
        asyncio.create_task(
            sla.watch(
                rt.sessions,
                sla.Limits.from_settings(settings),
                tick_s=settings.sla_tick_s,
                superior=settings.has_superior,
            ),
            name="netalarm-sla",
        )
    )
    relay.wake()
    return realtime
