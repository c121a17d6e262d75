"""CPU per alarm: what one accepted alarm costs the server's workers and PostgreSQL.

Throughput on a shared 2-core machine swings by ±15 % from run to run; the CPU time an
alarm costs the server processes swings less, and comparing it between two versions of the
code, run in alternation, is how an optimisation is judged. One `netalarm serve` (2 workers,
PostgreSQL, NATS, as `intake.py` runs it) takes the load generator's alarms at one
concurrency; the CPU time of the serve process with its workers, and of every postgres
process, is read from /proc before and after (`common.cpu_s`, `common.named_cpu_s`).

    python bench/intake_cpu.py [--connections 256] [--seconds 10] [--workers 2]
        [--rounds 1] [--against /path/to/other/checkout/src]

With `--against`, each round runs that source tree (put first on PYTHONPATH) and then this
one, and both are reported per round. Not part of `make bench`: a tool for changes, printing
one JSON object (`intake_cpu`) with `per_s`, `server_us_per_alarm`, `postgres_us_per_alarm`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from typing import Any
from urllib.parse import urlparse

from common import cpu_s, named_cpu_s, nats_stream, netalarm, pg_database, report, server, service_delta
from intake import SLA_S, load


def one_run(args: argparse.Namespace, source: str | None) -> dict[str, Any]:
    with (
        pg_database() as (_name, url),
        tempfile.TemporaryDirectory() as data,
        nats_stream("nats://127.0.0.1:4222") as bus,
    ):
        env = {
            "NETALARM_DATABASE_URL": url,
            "NETALARM_DATA_DIR": data,
            "NETALARM_BUS_URL": bus,
            "NETALARM_CENTRE": "440300",
            **{f"NETALARM_SLA_P{p}_S": str(SLA_S) for p in range(1, 5)},
        }
        if source:
            env["PYTHONPATH"] = source
        netalarm(["demo"], env)
        with server(env, workers=args.workers) as (base, process):
            port = urlparse(base).port or 0
            load(port, 16, 2)
            served, postgres, started = cpu_s(process.pid), named_cpu_s("postgres"), time.monotonic()
            result = load(port, args.connections, args.seconds)
            served = cpu_s(process.pid) - served
            postgres_used = service_delta(postgres, named_cpu_s("postgres"))
            elapsed = time.monotonic() - started
    alarms = result["per_s"] * elapsed
    return {
        "source": source or "this checkout",
        "per_s": result["per_s"],
        "p99_ms": result["p99_ms"],
        "server_us_per_alarm": round(1e6 * served / alarms),
        "postgres_us_per_alarm": round(1e6 * postgres_used / alarms),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--against", help="another checkout's src folder, run first in each round")
    args = parser.parse_args()
    runs = []
    for _ in range(args.rounds):
        if args.against:
            runs.append(one_run(args, args.against))
        runs.append(one_run(args, None))
    settings = {"connections": args.connections, "seconds": args.seconds, "workers": args.workers}
    report("intake_cpu", settings, {"runs": runs})


if __name__ == "__main__":
    main()
