"""From a chart to a decision on this machine: a configuration sweep, then the seed sweep and the budgets it answers.

    .venv/bin/python benchmarks/sweep_budget.py [--models mobilenetv3_large_100 resnet50 levit_256] [--duration 10]
        [--seed-duration 10] [--budgets 10 50] [--skip-seed | --seed-only] [--data-dir data/sweep-budget]

Starts Speedboard as `make run` does in its own data folder, sweeps `--models` over the default axes (CPU: batch
1, 2, 4, 8, 16, 32 × streams 1, half and all of the worker's physical cores) and prints the sweep's wall time and,
per model, its best configuration for throughput, for p99 latency, and the knee of its throughput–p99 front. Then
queues the seed sweep (`speedboard suite seed --backend cpu --sweep`: the seed models at batch 1, 8, 32 with the
default streams) and prints what GET /recommend answers for each p99 budget in `--budgets` (ms). Prints the CPU's
model and flags first.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from stack import REPO, call, running_stack, wait_for

sys.path.insert(0, str(REPO))

from shared.catalog.seed import SEED_MODELS, SEED_SWEEP_BATCH_SIZES  # noqa: E402
from shared.measurement.hardware import cpu_flags, cpu_model, physical_cores  # noqa: E402

MODELS = ("mobilenetv3_large_100", "resnet50", "levit_256")


def sweep(base: str, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    queued = call(f"{base}/sweeps", body)
    print(f"sweep {queued['id']}: {queued['total']} points ({len(queued['models'])} models × batch "
          f"{', '.join(map(str, queued['batch_sizes']))} × streams {', '.join(map(str, queued['streams']))}), "
          f"{body['duration_s']:g} s each; skipped {len(queued['skipped'])}", flush=True)
    done = wait_for(lambda: (s := call(f"{base}/sweeps/{queued['id']}"))["done"] and s, "the sweep", 6 * 3600, 15)
    failed = [f"{j['model']} b{j['batch_size']}×{j['streams']}: {j['status']} {j['error'] or ''}"
              for j in done["jobs"] if j["status"] != "succeeded"]
    wall = time.monotonic() - started
    print(f"  {done['finished']} of {done['total']} ended in {wall / 60:.1f} min wall time"
          + (f"; not measured: {'; '.join(failed)}" if failed else ""))
    return done, wall


def curves(base: str, sweep_id: str) -> None:
    for chart in call(f"{base}/charts/data?suite={sweep_id}")["charts"]:
        print(f"  {chart['engine']} {chart['precision']} on {chart['hardware']}:")
        for curve in chart["curves"]:
            points = {p["result_id"]: p for p in curve["points"]}
            best, fast = points[curve["best_throughput"]], points[curve["best_latency"]]
            knee = points.get(curve["knee"]) if curve["knee"] else None
            print(f"    {curve['label']:24s} best throughput {_config(best)}; lowest p99 {_config(fast)}; "
                  f"knee {_config(knee) if knee else 'none'}")
            print(f"      {curve['insight']}")


def _config(point: dict[str, Any]) -> str:
    return (f"b{point['batch_size']}×{point['streams']} ({point['throughput']:.1f} img/s, "
            f"p99 {point['latency_p99_ms']:.1f} ms)")


def budgets(base: str, hardware: str, limits: list[float]) -> None:
    for limit in limits:
        found = call(f"{base}/recommend?{urlencode({'backend': 'cpu', 'hardware': hardware, 'max_latency_ms': limit})}")
        print(f"GET /recommend?max_latency_ms={limit:g} ({found['considered']} configurations considered, "
              f"{found['total']} qualify):\n  {found['answer']}")
        for item in found["items"][:5]:
            print(f"    {item['verdict']:8s} {item['label']}: top-1 {item['top1']:.1f} %, {item['reason']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--seed-duration", type=float, default=10.0)
    parser.add_argument("--budgets", nargs="+", type=float, default=[10.0, 50.0])
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument("--seed-only", action="store_true", help="only the seed sweep and the budgets (a data folder "
                        "that already holds the first sweep's results keeps them)")
    parser.add_argument("--data-dir", type=Path, default=REPO / "data" / "sweep-budget")
    args = parser.parse_args()
    print(f"CPU: {cpu_model()}, {physical_cores()} physical cores; flags: {' '.join(sorted(cpu_flags())) or 'none of note'}")
    with running_stack(args.data_dir) as (base, worker):
        print(f"worker {worker['name']}: {worker['hardware']}, {worker['physical_cores']} physical cores, "
              f"{worker['memory_gb']} GB")
        if not args.seed_only:
            done, _ = sweep(base, {"models": args.models, "backend": "cpu", "duration_s": args.duration})
            curves(base, done["id"])
        if not args.skip_seed:
            sweep(base, {"name": "seed", "models": list(SEED_MODELS), "backend": "cpu",
                         "batch_sizes": list(SEED_SWEEP_BATCH_SIZES), "duration_s": args.seed_duration})
        budgets(base, worker["hardware"], args.budgets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
