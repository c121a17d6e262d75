"""A subordinate and its superior alarm server as real processes: the Shenzhen demo below,
a Guangdong province server above (centre `440000`, seat `guangdong.net`)."""

from __future__ import annotations

from pathlib import Path

from tests.support.http import DEMO_PASSWORD
from tests.support.servers import Server, netalarm

SUPERIOR_SEAT = "guangdong.net"


def superior_server(data: Path, keys: str) -> Server:
    """The province server accepting the subordinates in `keys` (`name=key,…`), started."""
    env = {"NETALARM_DATA_DIR": str(data), "NETALARM_DATABASE_URL": "", "NETALARM_FEDERATION_KEYS": keys}
    for args, stdin in (
        (["centre", "add", "440000", "--name", "广东省公安厅 Guangdong"], None),
        (
            ["seat", "add", SUPERIOR_SEAT, "--centre", "440000", "--role", "network", "--password-stdin"],
            DEMO_PASSWORD,
        ),
    ):
        made = netalarm(args, env, stdin=stdin)
        assert made.returncode == 0, made.stderr
    return Server(env, log=data / "server.log").start()


def subordinate_server(data: Path, superior: Server, key: str, **settings: str) -> Server:
    """The Shenzhen demo with `superior` above it (name `440300`), started; `settings` are
    more NETALARM_* values (such as a short SLA)."""
    env = {
        "NETALARM_DATA_DIR": str(data),
        "NETALARM_DATABASE_URL": "",
        "NETALARM_SUPERIOR_URL": superior.url,
        "NETALARM_SUPERIOR_KEY": key,
        "NETALARM_FEDERATION_POLL_S": "0.2",
        **{f"NETALARM_{name.upper()}": value for name, value in settings.items()},
    }
    seeded = netalarm(["demo"], env)
    assert seeded.returncode == 0, seeded.stderr
    return Server(env, log=data / "server.log").start()
