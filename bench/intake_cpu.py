"""CPU per alarm: what one accepted alarm costs the server's workers and PostgreSQL.

Throughput on a shared 2-core machine swings by ±15 % from run to run; the CPU time an
alarm costs the server processes swings less, and comparing it between two versions of the code, run in
alternation, is how an optimisation is judged. One `netalarm serve` (2 workers, PostgreSQL,
NATS, as `intake.py` runs it) takes the load generator's alarms at one concurrency; the
processes' CPU times are read from /proc before and after.

    python bench/intake_cpu.py [--connections 256] [--seconds 10] [--workers 2]
        [--rounds 1] [--against /path/to/other/checkout/src]

With `--against`, each round runs that source tree (put first on PYTHONPATH) and then this
one, and both are reported per round. Not part of `make bench`: a tool for changes, printing
one JSON object (`intake_cpu`) with `per_s`, `server_us_per_alarm`, `postgres_us_per_alarm`.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from common import nats_stream, netalarm, pg_database, report, server
from intake import SLA_S, load

HZ = os.sysconf("SC_CLK_TCK")


def cpu_by_kind() -> dict[tuple[str, str], float]:
    """CPU seconds of every process, keyed by (pid, kind): server (`netalarm serve` and its
    worker processes), postgres or other."""
    seconds: dict[tuple[str, str], float] = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        serving = "multiprocessing" in command or "netalarm.cli serve" in command
        kind = "postgres" if "postgres" in command else "server" if serving else "other"
        seconds[(pid, kind)] = (int(fields[11]) + int(fields[12])) / HZ
    return seconds


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
        with server(env, workers=args.workers) as (base, _process):
            port = urlparse(base).port or 0
            load(port, 16, 2)
            before, started = cpu_by_kind(), time.monotonic()
            result = load(port, args.connections, args.seconds)
            after, elapsed = cpu_by_kind(), time.monotonic() - started
    spent: dict[str, float] = {}
    for key, value in after.items():
        spent[key[1]] = spent.get(key[1], 0.0) + value - before.get(key, 0.0)
    alarms = result["per_s"] * elapsed
    return {
        "source": source or "this checkout",
        "per_s": result["per_s"],
        "p99_ms": result["p99_ms"],
        "server_us_per_alarm": round(1e6 * spent.get("server", 0.0) / alarms),
        "postgres_us_per_alarm": round(1e6 * spent.get("postgres", 0.0) / alarms),
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
