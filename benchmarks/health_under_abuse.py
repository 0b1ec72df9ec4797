"""/health latency while the API is abused (benchmarks/abuse.py's cases), against /health alone in the same run.

    .venv/bin/python benchmarks/health_under_abuse.py [--every-ms 20] [--rounds 2]

Starts Speedboard as `make run` does (API and one CPU worker, SQLite, embedded broker) in a fresh data folder, with
an admin token per case (auth on), the worker announced; polls GET /health every `--every-ms` for a quiet baseline,
then runs every abuse case `--rounds` times, one after another, while polling; prints each case's statuses and the
p50 / p99 / max of /health for the baseline and during the abuse, with their ratio. Goal: p99 < 1 s during abuse.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.abuse import CASES, send  # noqa: E402
from benchmarks.stack import REPO, running_stack  # noqa: E402


def poll_health(base: str, every_s: float, stop: threading.Event, into: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        status, _, _ = send(f"{base}/health")
        into.append((time.perf_counter() - started) * 1000 if status == 200 else float("inf"))
        stop.wait(max(0.0, every_s - (time.perf_counter() - started)))


def describe(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered):7.1f} ms  p99 {p99:7.1f} ms  max {ordered[-1]:7.1f} ms  ({len(ordered)} polls)"


def cpu_flags() -> str:
    wanted = ("avx2", "avx512f", "avx512_fp16", "avx512_bf16", "amx_tile")
    try:
        flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags")).split()
    except (OSError, StopIteration):
        return "unknown"
    return " ".join(flag for flag in wanted if flag in flags)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--every-ms", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quiet-s", type=float, default=10.0, help="seconds of baseline polling before the abuse")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, flags: {cpu_flags()}")
    data_dir = Path(tempfile.mkdtemp(prefix="speedboard-abuse-"))
    env = os.environ | {"SPEEDBOARD_DATA_DIR": str(data_dir)}
    tokens = {}
    for n, name in enumerate(CASES):
        made = subprocess.run([sys.executable, "-m", "shared.commands.cli", "token", "create", "--name", f"abuse-{n}",
                               "--role", "admin"], cwd=REPO, env=env, capture_output=True, text=True, check=True)
        tokens[name] = made.stdout.strip()
    os.environ["SPEEDBOARD_DATA_DIR"] = str(data_dir)
    with running_stack(data_dir) as (base, _worker):
        quiet: list[float] = []
        stop = threading.Event()
        poller = threading.Thread(target=poll_health, args=(base, args.every_ms / 1000, stop, quiet))
        poller.start()
        time.sleep(args.quiet_s)
        stop.set()
        poller.join()

        abused: list[float] = []
        stop = threading.Event()
        poller = threading.Thread(target=poll_health, args=(base, args.every_ms / 1000, stop, abused))
        poller.start()
        statuses: dict[str, Counter[int]] = {name: Counter() for name in CASES}
        started = time.perf_counter()
        for _ in range(args.rounds):
            for name, case in CASES.items():
                statuses[name] += case(base, tokens[name])
        elapsed = time.perf_counter() - started
        stop.set()
        poller.join()

    print(f"\nabuse cases, {args.rounds} rounds in {elapsed:.0f} s (statuses):")
    for name, counts in statuses.items():
        print(f"  {name:28s} " + ", ".join(f"{status}×{n}" for status, n in sorted(counts.items())))
    print(f"\n/health, quiet:        {describe(quiet)}")
    print(f"/health, during abuse: {describe(abused)}")
    p99 = sorted(abused)[min(len(abused) - 1, int(len(abused) * 0.99))]
    quiet_p99 = sorted(quiet)[min(len(quiet) - 1, int(len(quiet) * 0.99))]
    print(f"p99 during abuse / quiet p99: {p99 / quiet_p99:.1f}×; goal p99 < 1000 ms: {'met' if p99 < 1000 else 'NOT met'}")
    return 0 if p99 < 1000 else 1


if __name__ == "__main__":
    sys.exit(main())
