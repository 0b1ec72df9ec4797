"""Helpers that build test data the way Speedboard itself stores it, shared by the API, e2e and lifecycle tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.db.engine import session_scope
from shared.jobs.lifecycle import add_result

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make_result(n: int, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = dict(
        job_id=f"job-{n}", model="resnet50", pretrained_tag="a1_in1k", backend="cpu", engine="openvino",
        throughput=100.0 + n, latency_ms={"mean": 10.0, "stdev": 1.0, "p50": 9.5, "p90": 11.0, "p95": 12.0, "p99": 14.0},
        stable=True, windows=[99.0, 101.0], iterations=500, duration_s=5.0, batch_size=1, streams=2,
        precision="fp16", precision_used="fp16", input_size=224, params_m=25.6, gflops=8.2, prepare_s=0.3,
        cache_hit=True, hardware="Intel Xeon Processor, 2 cores", hardware_detail={"physical_cores": 2},
        host="bench-1", versions={"openvino": "2026.4.1"}, created_at=T0 + timedelta(minutes=n),
    )
    return values | overrides


def seed(*results: dict[str, object]) -> None:
    """Store results as a worker does: each the latest run of its configuration."""
    with session_scope() as session:
        for fields in results:
            add_result(session, fields)
        session.commit()
