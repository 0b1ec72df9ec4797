"""How much a chart can be trusted on this machine: the seed suite with repeats, through the real stack.

    .venv/bin/python benchmarks/seed_repeats.py [--repeats 3] [--duration 10] [--data-dir data/seed-repeats]

Starts Speedboard as `make run` does (API and one CPU worker, SQLite and the embedded broker) in its own data
folder (converted models are cached there, so a second run skips the conversions), queues the seed suite on the
CPU with `--repeats`, waits for it, then queues resnet50, mobilenetv3_large_100 and levit_256 at explicit fp32.
Prints, with the CPU's flags and model:
- the median coefficient of variation of throughput across models, and the widest;
- how many frontier places are certain (on the frontier in >= 95 % of bootstrap resamples of the runs);
- the stability gate: how many runs it extended past duration_s, by how much, and how many never became stable;
- the worker's measured matmul peaks, and the peak share of the three models at the default precision and at fp32;
- the suite's wall time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from stack import REPO, call, running_stack, wait_for

sys.path.insert(0, str(REPO))

from shared.measurement.hardware import cpu_flags, cpu_model, physical_cores  # noqa: E402

SHARE_MODELS = ("resnet50", "mobilenetv3_large_100", "levit_256")
CERTAIN = 0.95


def wait_jobs(base: str, ids: list[str]) -> list[dict[str, Any]]:
    def done() -> list[dict[str, Any]] | None:
        jobs = [call(f"{base}/jobs/{job_id}") for job_id in ids]
        return jobs if all(job["status"] in ("succeeded", "failed", "cancelled") for job in jobs) else None
    return wait_for(done, "the fp32 jobs", 3600)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--data-dir", type=Path, default=REPO / "data" / "seed-repeats")
    args = parser.parse_args()
    print(f"CPU: {cpu_model()}, {physical_cores()} physical cores; flags: {' '.join(sorted(cpu_flags())) or 'none of note'}")
    with running_stack(args.data_dir) as (base, worker):
        print(f"worker peaks (GFLOP/s): {json.dumps(worker['peak_gflops'])} — {worker['peak_method']}")
        started = time.monotonic()
        suite = call(f"{base}/suites", {"name": "seed", "backend": "cpu", "repeats": args.repeats,
                                        "duration_s": args.duration})
        print(f"suite {suite['id']}: {suite['total']} models × {args.repeats} repeats × {args.duration:g} s", flush=True)
        suite = wait_for(lambda: (s := call(f"{base}/suites/{suite['id']}"))["done"] and s, "the suite", 4 * 3600, 15)
        wall = time.monotonic() - started
        fp32 = [call(f"{base}/jobs", {"model": m, "backend": "cpu", "precision": "fp32", "repeats": args.repeats,
                                      "duration_s": args.duration})["id"] for m in SHARE_MODELS]
        explicit = wait_jobs(base, fp32)
        report(base, suite, wall, explicit, args.duration)
    return 0


def report(base: str, suite: dict[str, Any], wall: float, explicit: list[dict[str, Any]], duration: float) -> None:
    results = call(f"{base}/results?suite={suite['id']}&limit=1000")["items"]
    failed = [f"{job['model']}: {job['error']}" for job in suite["jobs"] if job["status"] != "succeeded"]
    print(f"\n{len(results)} of {suite['total']} models measured in {wall / 60:.1f} min wall time"
          + (f"; not measured: {'; '.join(failed)}" if failed else ""))
    cvs = sorted((r["throughput_cv"], r["model"]) for r in results if r["throughput_cv"] is not None)
    if cvs:
        print(f"throughput CV across models: median {statistics.median(c for c, _ in cvs) * 100:.1f}%, "
              f"widest {cvs[-1][0] * 100:.1f}% ({cvs[-1][1]}), narrowest {cvs[0][0] * 100:.1f}% ({cvs[0][1]})")
    charts = call(f"{base}/charts/data?suite={suite['id']}")["charts"]
    for chart in charts:
        front = [p for p in chart["points"] if p["frontier"]]
        sure = [p for p in front if (p["frontier_certainty"] or 0) >= CERTAIN]
        print(f"frontier ({chart['precision']}): {len(sure)} of {len(front)} places certain (>= {CERTAIN:.0%} of resamples): "
              + ", ".join(f"{p['label']} {p['frontier_certainty'] * 100:.0f}%" if p["frontier_certainty"] is not None
                          else f"{p['label']} ?" for p in front))
        for sentence in chart["insights"]:
            print(f"  - {sentence}")
    runs = [run for r in results for run in call(f"{base}/results/{r['id']}/runs")["items"]]
    # The gate first judges the window that ends after duration_s; it extended a run when that one did not pass.
    extended = [run["stable_after_s"] - duration for run in runs
                if run["stable_after_s"] is not None and run["stable_after_s"] > duration + run["window_s"] + 1e-6]
    never = [run for run in runs if run["stable_after_s"] is None]
    windows = statistics.median(run["window_s"] for run in runs)
    print(f"stability gate ({len(runs)} runs, windows of {windows:.1f} s median): stable at its first check after "
          f"duration_s: {len(runs) - len(extended) - len(never)}; extended, then stable: {len(extended)}"
          + (f" (stable {statistics.median(extended):.1f} s past duration_s median, {max(extended):.1f} s most)"
             if extended else "")
          + f"; never stable within {3 * duration:g} s: {len(never)}")
    by_model = {r["model"]: r for r in results}
    print("peak share (achieved GFLOP/s / measured matmul peak of the precision that ran):")
    for model, job in zip(SHARE_MODELS, explicit, strict=True):
        default = by_model.get(model)
        fp32 = job.get("result")
        print(f"  {model:24s} default: {_share(default)}   fp32: {_share(fp32)}")


def _share(result: dict[str, Any] | None) -> str:
    if not result:
        return "not measured"
    share = "no peak" if result["peak_share"] is None else f"{result['peak_share'] * 100:.1f}%"
    return (f"{result['throughput']:.1f} img/s in {result['precision_used']}, {result['achieved_gflops']:.1f} GFLOP/s "
            f"= {share}")


if __name__ == "__main__":
    sys.exit(main())
