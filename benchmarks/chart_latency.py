"""Yardstick for the results API and the chart page at scale.

    .venv/bin/python benchmarks/chart_latency.py [--results 100000] [--points 1000] [--requests 200]

Fills a fresh SQLite file and a fresh PostgreSQL database (TEST_DATABASE_URL's server) with
`--results` results: `--points` configurations (real catalog models and tags, one hardware) with
the rest as earlier runs of them. Serves each with uvicorn and prints the latency (p50, p99) of
GET /results and GET /charts/data against GET /health measured in the same run (chart data both as
the page's repeated polls get it, cached, and computed afresh after each change), of GET /recommend (budgets
that many, few and no configurations meet; also after each change) and of GET /jobs with
`--jobs` queued jobs (the chart page polls it), then the time
headless Chromium takes to render /charts with `--points` points, first visit and later visits. Goals: chart data and /recommend
p99 < 100 ms at 100,000 results; page rendered in < 1 s with 1,000 points.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import insert, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shared.catalog.accuracy import load_catalog  # noqa: E402
from shared.db.tables import Job, Result  # noqa: E402
from shared.jobs.lifecycle import config_key  # noqa: E402

HARDWARE = "Bench CPU, 16 cores"
PG_SERVER = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
PG_DB = "speedboard_yardstick"
# Budgets that many, few and no configurations meet (the last lists the nearest misses).
RECOMMEND = ("/recommend?max_latency_ms=10", "/recommend?backend=cpu&max_latency_ms=20&percentile=95&min_top1=80",
             "/recommend?max_latency_ms=0.5")


def configurations(count: int) -> list[tuple[str, str]]:
    pairs = [(arch, tag) for arch, entry in load_catalog()["models"].items() for tag in entry["tags"]]
    if len(pairs) < count:
        sys.exit(f"the catalog has {len(pairs)} model tags; ask for at most that many --points")
    return random.Random(0).sample(pairs, count)


def fill(database_url: str, total: int, points: int, jobs: int) -> None:
    env = os.environ | {"SPEEDBOARD_DATABASE_URL": database_url}
    subprocess.run([sys.executable, "-c", "from shared.db.engine import migrate; migrate()"], cwd=REPO, env=env, check=True)
    from sqlalchemy import create_engine

    from shared.settings import get_settings

    os.environ["SPEEDBOARD_DATABASE_URL"] = database_url
    get_settings.cache_clear()
    engine = create_engine(get_settings().db_url)
    rng = random.Random(1)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    configs = configurations(points)
    rows = []
    for n in range(total):
        arch, tag = configs[n % points]
        run = n // points + 1
        p99 = rng.uniform(1, 100)
        fields = dict(
            job_id=f"job-{n}", model=arch, pretrained_tag=tag, backend="cpu", engine="openvino",
            throughput=rng.uniform(5, 3000),
            latency_ms={"mean": p99 * 0.6, "p50": p99 * 0.55, "p90": p99 * 0.8, "p95": p99 * 0.9, "p99": p99},
            stable=True, windows=[1.0, 1.0], iterations=500, duration_s=10.0, batch_size=1, streams=16,
            precision="fp16", precision_used="fp16", input_size=224, params_m=25.6, gflops=8.2, prepare_s=0.3,
            cache_hit=True, hardware=HARDWARE, hardware_detail={}, host="bench", versions={"openvino": "2026.4.1"},
            cuda_graphs=False, method_version=1, created_at=t0 + timedelta(seconds=n),
        )
        rows.append(fields | {"config_key": config_key(fields), "runs": run, "latest": n + points >= total, "suite_id": None})
        if len(rows) == 5000:
            with engine.begin() as connection:
                connection.execute(insert(Result), rows)
            rows = []
    now = datetime.now(UTC)  # recent, so that the reaper does not expire them while they are measured
    queued = [dict(id=f"queued-{n}", model="resnet50", backend="cpu", engine="openvino", precision="auto", batch_size=1,
                   input_size=224, duration_s=10.0, cuda_graphs=False, queue="cpu", status="queued", progress=0.0,
                   attempts=0, created_at=now - timedelta(seconds=n), updated_at=now, published_at=now) for n in range(jobs)]
    with engine.begin() as connection:
        if rows:
            connection.execute(insert(Result), rows)
        if queued:
            connection.execute(insert(Job), queued)
        connection.execute(text("ANALYZE"))  # planner statistics, as PostgreSQL's autovacuum gathers after a bulk load
    engine.dispose()


def serve(database_url: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = os.environ | {"SPEEDBOARD_DATABASE_URL": database_url, "SPEEDBOARD_DATA_DIR": str(data_dir)}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.main:app", "--port", str(port), "--log-level", "warning"],
                              cwd=REPO, env=env)
    for _ in range(120):
        try:
            get(f"http://127.0.0.1:{port}/health")
            return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    sys.exit("the API did not start")


def get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
    return (time.perf_counter() - started) * 1000


def latencies(url: str, requests: int) -> tuple[float, float]:
    for _ in range(5):
        get(url)  # warm-up
    times = sorted(get(url) for _ in range(requests))
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def render_times(base: str, rounds: int) -> tuple[float, list[float]]:
    """(first visit, later visits) in ms to `window.speedboardRendered`, in one browser profile.

    A first visit compiles plotly.js (4.8 MB); from the third visit on Chromium runs it from its code cache,
    as a browser that has seen the page before does.
    """
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("SPEEDBOARD_CHROMIUM") or shutil.which("chromium")
    if not chromium:
        sys.exit("no Chromium: apt-get install chromium (make test installs it), or set SPEEDBOARD_CHROMIUM")
    with tempfile.TemporaryDirectory(prefix="speedboard-profile-") as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(profile, executable_path=chromium, args=["--no-sandbox"],
                                                       viewport={"width": 1400, "height": 1000})
        times = []
        for _ in range(rounds + 2):
            page = context.new_page()
            page.goto(f"{base}/charts")
            page.wait_for_selector("body[data-rendered=true]", timeout=30000)
            times.append(page.evaluate("window.speedboardRendered"))
            page.close()
        context.close()
    return times[0], times[2:]


def after_changes(base: str, requests: int, path: str = "/charts/data") -> tuple[float, float]:
    """Computed afresh: a correction (not timed) before each request changes what it must show."""
    times = []
    for n in range(requests):
        body = json.dumps({"top1": 80 + n % 2, "source": "yardstick"}).encode()
        put = urllib.request.Request(f"{base}/models/resnet50", data=body, method="PUT",
                                     headers={"content-type": "application/json"})
        urllib.request.urlopen(put, timeout=30).read()
        times.append(get(base + path))
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def report(label: str, figures: tuple[float, float], health: tuple[float, float]) -> None:
    p50, p99 = figures
    print(f"  {label:42s} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   p50 / health p50 {p50 / health[0]:5.1f}")


def measure(name: str, database_url: str, data_dir: Path, args: argparse.Namespace, port: int) -> None:
    started = time.perf_counter()
    fill(database_url, args.results, args.points, args.jobs)
    filled_s = time.perf_counter() - started
    print(f"\n{name}: {args.results:,} results in {args.points:,} configurations (filled in {filled_s:.0f} s)")
    server = serve(database_url, data_dir, port)
    base = f"http://127.0.0.1:{port}"
    try:
        health = latencies(f"{base}/health", args.requests)
        print(f"  {'GET /health (yardstick)':42s} p50 {health[0]:7.1f} ms   p99 {health[1]:7.1f} ms")
        for path in ("/results", "/results?backend=cpu&model=resnet50", "/charts/data", "/charts/data?backend=cpu",
                     f"/jobs?limit={args.jobs}", "/jobs?status=queued", *RECOMMEND):
            report(f"GET {path}", latencies(base + path, args.requests), health)
        report("GET /charts/data, each after a change", after_changes(base, args.requests), health)
        report(f"GET {RECOMMEND[0]}, each after a change", after_changes(base, args.requests, RECOMMEND[0]), health)
        if name == "SQLite":
            first, later = render_times(base, args.rounds)
            print(f"  /charts rendered by headless Chromium with {args.points:,} points: first visit {first:.0f} ms; "
                  f"later visits median {statistics.median(later):.0f} ms, max {max(later):.0f} ms ({len(later)} loads)")
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--points", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=500, help="queued jobs, for GET /jobs")
    parser.add_argument("--rounds", type=int, default=5, help="page loads to time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="speedboard-yardstick-") as tmp:
        measure("SQLite", f"sqlite:///{tmp}/yardstick.db", Path(tmp), args, 18765)
        with psycopg.connect(PG_SERVER, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
            admin.execute(f"CREATE DATABASE {PG_DB}")
        try:
            pg_url = PG_SERVER.rsplit("/", 1)[0] + f"/{PG_DB}"
            measure("PostgreSQL", pg_url, Path(tmp), args, 18766)
        finally:
            with psycopg.connect(PG_SERVER, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
