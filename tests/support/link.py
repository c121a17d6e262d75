"""Both sides of the 110 boundary link as real processes: an Internet-side demo server
offering the link, and an intranet 110 server pulling from it."""

from __future__ import annotations

from pathlib import Path

from tests.support.servers import Server, netalarm


def internet_server(data: Path, token: str, **settings: str) -> Server:
    """The Internet-side demo (SQLite) with the link token set, started; `settings` are more
    NETALARM_* values."""
    env = {
        "NETALARM_DATA_DIR": str(data),
        "NETALARM_DATABASE_URL": "",
        "NETALARM_LINK_TOKEN": token,
        **settings,
    }
    seeded = netalarm(["demo"], env)
    assert seeded.returncode == 0, seeded.stderr
    return Server(env, log=data / "server.log").start()


def intranet_server(data: Path, internet: Server, token: str, database_url: str = "") -> Server:
    """The intranet 110 demo (seat `shenzhen.110`) pulling from `internet` every 0.2 s, started."""
    env = {
        "NETALARM_DATA_DIR": str(data),
        "NETALARM_DATABASE_URL": database_url,
        "NETALARM_ROLE": "intranet",
        "NETALARM_LINK_URL": internet.url,
        "NETALARM_LINK_TOKEN": token,
        "NETALARM_LINK_POLL_S": "0.2",
    }
    seeded = netalarm(["demo"], env)
    assert seeded.returncode == 0 and "shenzhen.110" in seeded.stdout, seeded.stderr
    return Server(env, log=data / "server.log").start()
