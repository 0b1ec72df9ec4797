"""Helpers that build test data the way Speedboard itself stores it, shared by the API, e2e and lifecycle tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from shared.analysis.intervals import cv, mean_ci95
from shared.db.engine import session_scope
from shared.db.tables import Run
from shared.jobs.lifecycle import add_result

T0 = datetime(2026, 1, 1, tzinfo=UTC)
RUNS = "_runs"  # a made result's repeats' throughputs, stored as run rows by seed()


def make_result(n: int, runs: Sequence[float] | None = None, **overrides: object) -> dict[str, object]:
    """A result as the worker stores it; `runs` (throughputs) makes it the combination of that many repeats."""
    values: dict[str, object] = dict(
        job_id=f"job-{n}", model="resnet50", pretrained_tag="a1_in1k", backend="cpu", engine="openvino",
        throughput=100.0 + n, latency_ms={"mean": 10.0, "stdev": 1.0, "p50": 9.5, "p90": 11.0, "p95": 12.0, "p99": 14.0},
        stable=True, stable_after_s=5.0, windows=[99.0, 101.0], iterations=500, duration_s=5.0, batch_size=1, streams=2,
        precision="fp16", precision_used="fp16", input_size=224, params_m=25.6, gflops=8.2, prepare_s=0.3,
        cache_hit=True, hardware="Intel Xeon Processor, 2 cores", hardware_detail={"physical_cores": 2},
        host="bench-1", versions={"openvino": "2026.4.1"}, created_at=T0 + timedelta(minutes=n), method_version=2,
        peak_rss_mb=180.0, artifact_mb=12.5, calibration=None,
    )
    if runs:
        mean, interval = mean_ci95(runs)
        values |= {"throughput": mean, "throughput_ci95": list(interval) if interval else None, "throughput_cv": cv(runs),
                   "repeats": len(runs), RUNS: list(runs)}
    return values | overrides


def precision_results() -> list[dict[str, object]]:
    """resnet50 at the default (auto: bf16 here), fp32 and int8 calibrated on random inputs (4.9× the default);
    levit_256 at the default and int8 (2.1×); mobilenetv3_large_100 at the default only."""
    return [
        make_result(1, precision="auto", precision_used="bf16", throughput=60.0),
        make_result(2, precision="fp32", precision_used="fp32", throughput=30.0),
        make_result(3, precision="int8", precision_used="int8", calibration="random", throughput=294.0),
        make_result(4, model="levit_256", pretrained_tag="fb_dist_in1k", precision="auto", precision_used="bf16",
                    throughput=100.0),
        make_result(5, model="levit_256", pretrained_tag="fb_dist_in1k", precision="int8", precision_used="int8",
                    calibration="random", throughput=210.0),
        make_result(6, model="mobilenetv3_large_100", pretrained_tag="ra_in1k", precision="auto", precision_used="bf16",
                    throughput=500.0),
    ]


def make_run(**overrides: object) -> dict[str, object]:
    """One repeat's figures as the benchmark process reports them."""
    values: dict[str, object] = dict(
        throughput=100.0, latency_ms={"mean": 10.0, "stdev": 1.0, "p50": 9.5, "p90": 11.0, "p95": 12.0, "p99": 14.0},
        stable=True, stable_after_s=5.0, windows=[99.0, 101.0], window_s=2.0, iterations=500, duration_s=5.0,
        prepare_s=0.3, cache_hit=True, peak_rss_mb=180.0, device_memory_mb=None, artifact_mb=12.5)
    return values | overrides


def seed(*results: dict[str, object]) -> None:
    """Store results as a worker does: each the latest run of its configuration, with its repeats as run rows."""
    with session_scope() as session:
        for fields in results:
            fields = dict(fields)
            throughputs = fields.pop(RUNS, None) or [fields["throughput"]]
            result = add_result(session, fields)
            for repeat, throughput in enumerate(throughputs, start=1):
                session.add(Run.model_validate(make_run(throughput=throughput) | {
                    "job_id": result.job_id, "result_id": result.id, "repeat": repeat, "created_at": result.created_at}))
        session.commit()
