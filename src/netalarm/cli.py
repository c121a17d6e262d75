"""The `netalarm` command: serve, demo, db upgrade, centre add, seat add/list/disable/enable/
password/unlock."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.core import migrate
from netalarm.core.db import make_engine, make_sessionmaker, transaction
from netalarm.core.errors import DomainError
from netalarm.core.settings import get_settings

T = TypeVar("T")


def _in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Migrate, then run `work` in one transaction; a domain refusal exits with its message."""

    async def run() -> T:
        settings = get_settings()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.resolved_database_url)
        try:
            await migrate.upgrade(engine)
            async with transaction(make_sessionmaker(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except DomainError as exc:
        raise click.ClickException(f"{exc.message}" + (f" ({exc.field})" if exc.field else "")) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """netalarm: network alarm and disposal server. Settings come from NETALARM_* variables."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes.")
def serve(host: str, port: int, workers: int) -> None:
    """Run the alarm server (migrates the database first)."""
    import uvicorn

    settings = get_settings()
    if workers > 1 and settings.bus_url.partition("://")[0] in ("", "memory"):
        # Each worker would push only what it relayed itself.
        raise click.UsageError(
            "several workers need a shared event bus: set NETALARM_BUS_URL to postgresql://… or nats://…"
        )
    base = f"http://{host}:{port}"
    click.echo(f"netalarm on {base}  (database: {settings.resolved_database_url})")
    if settings.role == "intranet":
        click.echo(f"  110 seat console  {base}/seat   (pulls from {settings.link_url or 'nowhere'})")
    else:
        click.echo(f"  reporter app  {base}/report")
        click.echo(f"  seat console  {base}/seat")
    click.echo(f"  API docs      {base}/docs   OpenAPI {base}/openapi.json")
    scraper = "bearer NETALARM_METRICS_TOKEN" if settings.metrics_token else "this machine only"
    click.echo(f"  metrics       {base}/metrics   ({scraper})")
    uvicorn.run(
        "netalarm.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        ws_ping_interval=20,
        ws_ping_timeout=20,
        ws_per_message_deflate=settings.ws_compression,
    )


@main.command()
@click.option("--province", is_flag=True, help="Seed the Guangdong province server above Shenzhen instead.")
def demo(province: bool) -> None:
    """Seed the demo centres and seats (idempotent) and print the logins."""
    from netalarm.demo import DEMO_PASSWORD, seed

    server_role = get_settings().role
    logins = _in_transaction(lambda session: seed(session, server_role, province=province))
    click.echo(f"Demo seats (password for all: {DEMO_PASSWORD}):")
    for username, role, centre in logins:
        click.echo(f"  {username:<18} {role:<11} centre {centre}")


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""

    async def run() -> None:
        engine = make_engine(get_settings().resolved_database_url)
        try:
            await migrate.upgrade(engine)
            click.echo(f"database at revision {', '.join(sorted(await migrate.current(engine)))}")
        finally:
            await engine.dispose()

    get_settings().data_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(run())


@main.group()
def centre() -> None:
    """Centres and their jurisdictions."""


@centre.command("add")
@click.argument("code")
@click.option("--name", required=True, help="Display name.")
@click.option("--parent", default=None, help="Code of the parent centre.")
@click.option(
    "--geojson",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Jurisdiction: a Polygon, MultiPolygon, Feature or FeatureCollection.",
)
def centre_add(code: str, name: str, parent: str | None, geojson: Path | None) -> None:
    """Add centre CODE under --parent (a root centre without it)."""
    from netalarm.routing import service as routing_service

    try:
        doc = json.loads(geojson.read_text("utf-8")) if geojson else None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{geojson}: not JSON: {exc}") from exc

    async def work(session: AsyncSession) -> str:
        made = await routing_service.add_centre(
            session, code=code, name=name, parent_code=parent, geojson=doc
        )
        return made.path

    click.echo(f"centre {code} added at {_in_transaction(work)}")


@main.group()
def seat() -> None:
    """Seats (operators)."""


@seat.command("add")
@click.argument("username")
@click.option("--centre", "centre_code", required=True, help="Code of the seat's centre.")
@click.option("--role", type=click.Choice(["network", "110", "supervisor", "admin"]), required=True)
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from standard input.")
def seat_add(username: str, centre_code: str, role: str, password_stdin: bool) -> None:
    """Add seat USERNAME; the password is read from standard input."""
    from netalarm.accounts import service as accounts_service

    password = sys.stdin.readline().rstrip("\r\n")

    async def work(session: AsyncSession) -> None:
        await accounts_service.add_seat(
            session, username=username, password=password, centre_code=centre_code, role=role
        )

    _in_transaction(work)
    click.echo(f"seat {username} ({role}) added to centre {centre_code}")


@seat.command("list")
def seat_list() -> None:
    """List every seat: username, role, centre, whether active, and until when it is locked
    after failed sign-ins (times in NETALARM_TIMEZONE)."""
    from zoneinfo import ZoneInfo

    from netalarm.accounts import service as accounts_service

    zone = ZoneInfo(get_settings().timezone)
    seats = _in_transaction(accounts_service.list_seats)
    click.echo(f"{'username':<24} {'role':<11} {'centre':<12} {'active':<7} locked until")
    for s in seats:
        until = s.locked_until.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z") if s.locked_until else "-"
        click.echo(f"{s.username:<24} {s.role:<11} {s.centre:<12} {'yes' if s.active else 'no':<7} {until}")


@seat.command("disable")
@click.argument("username")
def seat_disable(username: str) -> None:
    """Disable seat USERNAME: it cannot sign in, and every console signed in as it is signed
    out at its next request (its live connection within a heartbeat)."""
    from netalarm.accounts import service as accounts_service

    ended = _in_transaction(lambda session: accounts_service.disable_seat(session, username=username))
    click.echo(f"seat {username} disabled; {_sessions(ended)} signed out")


@seat.command("enable")
@click.argument("username")
def seat_enable(username: str) -> None:
    """Enable seat USERNAME again (its password unchanged)."""
    from netalarm.accounts import service as accounts_service

    _in_transaction(lambda session: accounts_service.enable_seat(session, username=username))
    click.echo(f"seat {username} enabled")


@seat.command("password")
@click.argument("username")
@click.option(
    "--password-stdin", is_flag=True, required=True, help="Read the new password from standard input."
)
def seat_password(username: str, password_stdin: bool) -> None:
    """Set a new password for seat USERNAME (read from standard input; at least 8 characters).
    Every console signed in as it is signed out, and a lock after failed sign-ins is lifted."""
    from netalarm.accounts import service as accounts_service

    password = sys.stdin.readline().rstrip("\r\n")
    ended = _in_transaction(
        lambda session: accounts_service.set_password(session, username=username, password=password)
    )
    click.echo(f"seat {username}: password changed; {_sessions(ended)} signed out")


@seat.command("unlock")
@click.argument("username")
def seat_unlock(username: str) -> None:
    """Lift the lock on seat USERNAME after too many failed sign-ins."""
    from netalarm.accounts import service as accounts_service

    lifted = _in_transaction(lambda session: accounts_service.unlock_seat(session, username=username))
    click.echo(f"seat {username} unlocked" if lifted else f"seat {username} was not locked")


def _sessions(count: int) -> str:
    return f"{count} session{'' if count == 1 else 's'}"


if __name__ == "__main__":
    main()
