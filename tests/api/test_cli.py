"""The `netalarm` command, run as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from netalarm.core import migrate
from tests.support.factories import square
from tests.support.http import DEMO_PASSWORD
from tests.support.servers import Server, netalarm


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"NETALARM_DATA_DIR": str(tmp_path), "NETALARM_DATABASE_URL": ""}


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["demo"],
        ["db"],
        ["db", "upgrade"],
        ["centre", "add"],
        *(["seat", sub] for sub in ("add", "list", "disable", "enable", "password", "unlock")),
    ],
)
def test_every_command_has_help(command: list[str], env: dict[str, str]) -> None:
    done = netalarm([*command, "--help"], env)
    assert done.returncode == 0 and "Usage:" in done.stdout


def test_db_upgrade_creates_the_sqlite_database_in_the_data_dir(env: dict[str, str], tmp_path: Path) -> None:
    done = netalarm(["db", "upgrade"], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"database at revision {', '.join(sorted(migrate.heads()))}"
    assert (tmp_path / "netalarm.sqlite3").exists()


def test_demo_is_idempotent_and_prints_the_logins(env: dict[str, str]) -> None:
    first, again = netalarm(["demo"], env), netalarm(["demo"], env)
    assert first.returncode == 0 and again.returncode == 0
    assert first.stdout == again.stdout
    assert "futian.net" in first.stdout and "demo-pass-110" in first.stdout


def test_centres_and_seats_added_by_cli_route_and_sign_in(env: dict[str, str], tmp_path: Path) -> None:
    outline = tmp_path / "district.geojson"
    outline.write_text(
        json.dumps(
            {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": square(100, 30)}]}
        )
    )
    assert netalarm(["centre", "add", "P1", "--name", "Province"], env).returncode == 0
    added = netalarm(
        ["centre", "add", "D1", "--name", "District", "--parent", "P1", "--geojson", str(outline)], env
    )
    assert added.returncode == 0, added.stderr
    seat = netalarm(
        ["seat", "add", "d1.net", "--centre", "D1", "--role", "network", "--password-stdin"],
        env,
        stdin="long password\n",
    )
    assert seat.returncode == 0, seat.stderr
    server = Server(env).start()
    try:
        login = httpx.post(
            f"{server.url}/api/v1/auth/login", json={"username": "d1.net", "password": "long password"}
        )
        assert login.status_code == 200 and login.json()["seat"]["centre"] == "D1"
        alarm = httpx.post(
            f"{server.url}/api/v1/alarms",
            json={"idempotency_key": "cli-routing-1", "location": {"lat": 30.05, "lon": 100.05}},
        )
        assert alarm.json()["case_number"].startswith("D1-")
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["centre", "add", "X", "--name", "X", "--parent", "NOPE"], None, "no centre NOPE"),
        (
            ["seat", "add", "s", "--centre", "NOPE", "--role", "network", "--password-stdin"],
            "long password\n",
            "no centre NOPE",
        ),
        (
            ["seat", "add", "s", "--centre", "NOPE", "--role", "network", "--password-stdin"],
            "short\n",
            "at least 8",
        ),
        (
            ["seat", "add", "s", "--centre", "X", "--role", "god", "--password-stdin"],
            "long password\n",
            "Invalid value",
        ),
        (["seat", "disable", "nobody"], None, "no seat nobody"),
        (["seat", "enable", "nobody"], None, "no seat nobody"),
        (["seat", "unlock", "nobody"], None, "no seat nobody"),
        (["seat", "password", "nobody", "--password-stdin"], "long password\n", "no seat nobody"),
        (["seat", "password", "futian.net", "--password-stdin"], "short\n", "at least 8"),
        (["seat", "password", "futian.net"], "long password\n", "--password-stdin"),
        (["seat", "disable"], None, "Missing argument 'USERNAME'"),
    ],
)
def test_cli_refusals_exit_non_zero_with_a_message(
    env: dict[str, str], args: list[str], stdin: str | None, message: str
) -> None:
    done = netalarm(args, env, stdin=stdin)
    assert done.returncode != 0 and message in done.stderr
    assert "Traceback" not in done.stderr


def test_seat_commands_lock_out_unlock_change_password_disable_and_enable(env: dict[str, str]) -> None:
    assert netalarm(["demo"], env).returncode == 0
    server = Server({**env, "NETALARM_LOGIN_MAX_FAILURES": "2"}).start()

    def sign_in(password: str) -> int:
        body = {"username": "futian.net", "password": password}
        return httpx.post(f"{server.url}/api/v1/auth/login", json=body).status_code

    def run(*args: str, stdin: str | None = None) -> str:
        done = netalarm(["seat", *args], env, stdin=stdin)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def listed(username: str) -> list[str]:
        [line] = [line for line in run("list").splitlines() if line.startswith(username + " ")]
        return line.split()

    try:
        assert run("list").splitlines()[0].split() == [
            "username",
            "role",
            "centre",
            "active",
            "locked",
            "until",
        ]
        assert listed("futian.net") == ["futian.net", "network", "440304", "yes", "-"]
        assert [sign_in("wrong password") for _ in range(2)] == [401, 429]
        locked = listed("futian.net")
        assert locked[:4] == ["futian.net", "network", "440304", "yes"] and locked[-1] == "CST"
        assert sign_in(DEMO_PASSWORD) == 429
        assert run("unlock", "futian.net") == "seat futian.net unlocked\n"
        assert run("unlock", "futian.net") == "seat futian.net was not locked\n"
        assert listed("futian.net")[-1] == "-"
        assert sign_in(DEMO_PASSWORD) == 200
        changed = run("password", "futian.net", "--password-stdin", stdin="a brand new password\n")
        assert changed == "seat futian.net: password changed; 1 session signed out\n"
        assert (sign_in(DEMO_PASSWORD), sign_in("a brand new password")) == (401, 200)
        assert run("disable", "futian.net") == "seat futian.net disabled; 1 session signed out\n"
        assert listed("futian.net")[3] == "no"
        assert sign_in("a brand new password") == 401
        assert run("enable", "futian.net") == "seat futian.net enabled\n"
        assert sign_in("a brand new password") == 200
    finally:
        server.stop()


def test_a_geojson_point_is_refused_as_a_jurisdiction(env: dict[str, str], tmp_path: Path) -> None:
    point = tmp_path / "point.geojson"
    point.write_text(json.dumps({"type": "Point", "coordinates": [1, 2]}))
    done = netalarm(["centre", "add", "PT", "--name", "Point", "--geojson", str(point)], env)
    assert done.returncode != 0 and "Polygon" in done.stderr


def test_serve_prints_the_addresses_of_the_pages_and_they_answer(env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    server = Server({**env, "PYTHONUNBUFFERED": "1"}, log=log).start()
    try:
        printed = log.read_text()
        urls = {
            line.split()[-1]
            for line in printed.splitlines()
            if "reporter app" in line or "seat console" in line
        }
        assert urls == {f"{server.url}/report", f"{server.url}/seat"}
        assert f"{server.url}/docs" in printed
        assert f"{server.url}/metrics   (this machine only)" in printed
        assert all(httpx.get(url).status_code == 200 for url in [*urls, f"{server.url}/metrics"])
    finally:
        server.stop()
