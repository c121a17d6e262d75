"""Intake throughput against the machine's own limit.

A load generator in its own process (bench/loadgen.py) posts realistic alarms at 16, 64 and
256 connections to a server on PostgreSQL (durable commits) with the NATS bus (a stream of
its own, deleted afterwards). In the same run, pgbench measures the physical limit:
single-row durable INSERT transactions into the same database at the same concurrency.
Afterwards every acknowledged alarm must be in the database. Last, the same load at the best
concurrency goes to bench/ceiling.py's two servers that store nothing (bare ASGI; FastAPI
with the intake's body model): the most a Python intake could do on these cores. SLA limits
are raised to one hour, so the watchdog's alerts on the thousands of unaccepted incidents (a
workload of its own) do not mix in. Prints one JSON object (see bench/README.md).

    python bench/intake.py [--seconds 10] [--workers 2] [--nats nats://127.0.0.1:4222]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from common import PG, free_port, nats_stream, netalarm, pg_database, psql, report, server, serving

LEVELS = (16, 64, 256)
SLA_S = 3600


def load(port: int, connections: int, seconds: float) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("loadgen.py")),
            "--port",
            str(port),
            "--connections",
            str(connections),
            "--seconds",
            str(seconds),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def ceiling(app: str, workers: int, connections: int, seconds: float) -> dict[str, Any]:
    """The same load against one of bench/ceiling.py's apps, which store nothing."""
    port = free_port()
    argv = ["-m", "uvicorn", f"ceiling:{app}", "--app-dir", str(Path(__file__).parent)]
    argv += ["--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    with serving(argv, {}, port, "/"):
        load(port, 16, 2)
        return load(port, connections, seconds)


def insert_limit(database: str, connections: int, seconds: float) -> float:
    """Durable single-row INSERT transactions per second, measured by pgbench."""
    psql("CREATE TABLE IF NOT EXISTS bench_limit (id bigserial PRIMARY KEY, payload text NOT NULL)", database)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write("INSERT INTO bench_limit (payload) VALUES ('" + "x" * 400 + "');\n")
    done = subprocess.run(
        [
            "pgbench",
            "-h",
            PG["host"],
            "-p",
            PG["port"],
            "-U",
            PG["user"],
            "-n",
            "-c",
            str(connections),
            "-j",
            "2",
            "-T",
            str(int(seconds)),
            "-f",
            script.name,
            database,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    Path(script.name).unlink()
    match = re.search(r"tps = ([\d.]+)", done.stdout)
    if not match:
        raise RuntimeError(done.stdout + done.stderr)
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--nats", default="nats://127.0.0.1:4222", help="NATS server (own stream)")
    args = parser.parse_args()
    with (
        pg_database() as (name, url),
        tempfile.TemporaryDirectory() as data,
        nats_stream(args.nats) as bus,
    ):
        env = {
            "NETALARM_DATABASE_URL": url,
            "NETALARM_DATA_DIR": data,
            "NETALARM_BUS_URL": bus,
            "NETALARM_CENTRE": "440300",
            **{f"NETALARM_SLA_P{p}_S": str(SLA_S) for p in range(1, 5)},
        }
        netalarm(["demo"], env)
        sync_commit = psql("SHOW synchronous_commit", name)
        levels: dict[int, dict[str, Any]] = {}
        with server(env, workers=args.workers) as (base, _process):
            port = urlparse(base).port or 0
            warm = load(port, 16, 2)
            for connections in LEVELS:
                levels[connections] = load(port, connections, args.seconds)
        acknowledged = warm["acknowledged"] + sum(level["acknowledged"] for level in levels.values())
        stored = int(psql("SELECT count(*) FROM alarms", name))
        for connections in LEVELS:
            # PostgreSQL's connection limit is shared with whatever else runs on the machine.
            free = int(
                psql("SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity", name)
            )
            usable = min(connections, free - 5)
            levels[connections]["limit_inserts_per_s"] = round(insert_limit(name, usable, args.seconds), 1)
            levels[connections]["limit_connections"] = usable
    best = max(LEVELS, key=lambda c: levels[c]["per_s"])
    bare, framework = (ceiling(app, args.workers, best, args.seconds) for app in ("bare", "framework"))
    report(
        "intake",
        {
            "workers": args.workers,
            "seconds_per_level": args.seconds,
            "bus": "nats",
            "nats": args.nats,
            "database": "postgresql",
            "synchronous_commit": sync_commit,
            "sla_limits_s": SLA_S,
            "levels": list(LEVELS),
        },
        {
            "alarms_per_s": levels[best]["per_s"],
            "best_connections": best,
            "limit_inserts_per_s": levels[best]["limit_inserts_per_s"],
            "ratio": round(levels[best]["per_s"] / levels[best]["limit_inserts_per_s"], 3),
            "p99_ms_at_64": levels[64]["p99_ms"],
            "ceilings": {
                name: {
                    "per_s": level["per_s"],
                    "ratio": round(level["per_s"] / levels[best]["limit_inserts_per_s"], 3),
                }
                for name, level in (("bare", bare), ("framework", framework))
            },
            "acknowledged": acknowledged,
            "stored": stored,
            "lost": acknowledged - stored if stored < acknowledged else 0,
            "by_connections": levels,
        },
    )


if __name__ == "__main__":
    main()
