"""A job's repeats combined into its one result: means, 95 % intervals (Student's t), spread, memory, peak share.

Each repeat is a separate benchmark process (fresh compile, fresh warm-up), so the interval covers what a user sees
between runs, not only within one. One run has an unknown interval (None), never a zero-width one.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from shared.analysis.intervals import cv, mean_ci95
from shared.measurement.peak_share import peak_share

# What every repeat must agree on: one configuration on one machine.
SAME_IN_EVERY_RUN = ("precision_used", "streams", "hardware", "gflops")


class RepeatsDisagree(ValueError):
    """The repeats of one job ran different configurations (a worker changed under it): they cannot be combined."""


def combine(runs: Sequence[Mapping[str, Any]], described: Sequence[Mapping[str, Any]],
            peaks: Mapping[str, float]) -> dict[str, Any]:
    """The result's fields (shared.db.tables.ResultBase) from each run's own figures (RunBase) and what each run
    described (the first one's description is kept); `peaks` is the worker's matmul peak per precision."""
    first = described[0]
    for name in SAME_IN_EVERY_RUN:
        seen = {d[name] for d in described}
        if len(seen) > 1:
            raise RepeatsDisagree(f"the repeats ran with different {name} ({', '.join(map(str, sorted(seen)))})")
    throughput, throughput_ci95 = mean_ci95([r["throughput"] for r in runs])
    latency: dict[str, float] = {}
    latency_ci95: dict[str, list[float] | None] = {}
    latency_cv: dict[str, float | None] = {}
    for name in runs[0]["latency_ms"]:
        values = [r["latency_ms"][name] for r in runs]
        if name == "stdev":  # the spread of all latencies: pooled over the runs, no interval of its own
            latency[name] = math.sqrt(statistics.fmean(v * v for v in values))
            continue
        latency[name], interval = mean_ci95(values)
        latency_ci95[name] = list(interval) if interval else None
        latency_cv[name] = cv(values)
    achieved, share = peak_share(first["gflops"], throughput, first["precision_used"], peaks)
    gates = [r["stable_after_s"] for r in runs]
    return dict(first) | {
        "throughput": throughput,
        "throughput_ci95": list(throughput_ci95) if throughput_ci95 else None,
        "throughput_cv": cv([r["throughput"] for r in runs]),
        "latency_ms": latency, "latency_ci95": latency_ci95, "latency_cv": latency_cv,
        "repeats": len(runs),
        "stable": all(r["stable"] for r in runs),
        "stable_after_s": None if None in gates else max(gates),
        # Totals over the runs (throughput is the mean of the runs' own, not iterations over duration_s).
        "windows": [w for r in runs for w in r["windows"]],
        "iterations": sum(r["iterations"] for r in runs),
        "duration_s": sum(r["duration_s"] for r in runs),
        # The first run's: a conversion or engine build, when one was needed, happened in it.
        "prepare_s": runs[0]["prepare_s"], "cache_hit": runs[0]["cache_hit"],
        "peak_rss_mb": _largest(r["peak_rss_mb"] for r in runs),
        "device_memory_mb": _largest(r["device_memory_mb"] for r in runs),
        "artifact_mb": runs[-1]["artifact_mb"],
        "achieved_gflops": achieved, "peak_share": share,
    }


def _largest(values: Any) -> float | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None
