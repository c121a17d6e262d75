"""A subordinate and its superior alarm server as real processes: the Shenzhen demo below,
the Guangdong province demo above (centre `440000`, seat `guangdong.net`)."""

from __future__ import annotations

from pathlib import Path

from tests.support.servers import Server, netalarm

SUPERIOR_SEAT = "guangdong.net"


def superior_server(data: Path, keys: str) -> Server:
    """The province demo (`netalarm demo --province`) accepting the subordinates in `keys`
    (`name=key,…`), started."""
    env = {"NETALARM_DATA_DIR": str(data), "NETALARM_DATABASE_URL": "", "NETALARM_FEDERATION_KEYS": keys}
    seeded = netalarm(["demo", "--province"], env)
    assert seeded.returncode == 0 and SUPERIOR_SEAT in seeded.stdout, seeded.stderr
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
