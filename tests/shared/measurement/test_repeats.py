"""A job's repeats combined into its one result."""

from __future__ import annotations

import math

import pytest

from shared.db.tables import ResultBase
from shared.measurement.repeats import RepeatsDisagree, combine
from tests.factories import make_result, make_run


def described(**overrides: object) -> dict[str, object]:
    """What a benchmark process describes besides its run: the result's fields that are not measured."""
    measured = {"throughput", "latency_ms", "stable", "stable_after_s", "windows", "iterations", "duration_s",
                "prepare_s", "cache_hit", "peak_rss_mb", "device_memory_mb", "artifact_mb"}
    base = {k: v for k, v in make_result(1).items() if k in ResultBase.model_fields and k not in measured}
    return base | {"precision_used": "bf16", "gflops": 2.0, "cuda_graphs": False} | overrides


def latency(p50: float, stdev: float) -> dict[str, float]:
    return {"mean": p50, "stdev": stdev, "p50": p50, "p90": p50 * 1.1, "p95": p50 * 1.2, "p99": p50 * 1.5}


def test_means_intervals_spread_memory_and_peak_share() -> None:
    runs = [make_run(throughput=90.0, latency_ms=latency(10.0, 3.0), stable_after_s=10.0, peak_rss_mb=150.0,
                     cache_hit=False, prepare_s=8.0, iterations=900),
            make_run(throughput=100.0, latency_ms=latency(9.0, 4.0), stable_after_s=14.0, peak_rss_mb=170.0,
                     prepare_s=0.5, iterations=1000),
            make_run(throughput=110.0, latency_ms=latency(8.0, 0.0), stable_after_s=12.0, peak_rss_mb=160.0,
                     prepare_s=0.4, iterations=1100)]
    result = combine(runs, [described()] * 3, {"fp32": 100.0, "bf16": 400.0})
    assert set(result) == set(ResultBase.model_fields)
    half = 4.303 * 10.0 / math.sqrt(3)  # t(0.975, 2) · s / √n, s = 10
    assert result["throughput"] == 100.0 and result["throughput_ci95"] == pytest.approx([100 - half, 100 + half])
    assert result["throughput_cv"] == pytest.approx(0.1) and result["repeats"] == 3
    assert result["latency_ms"]["p50"] == 9.0 and result["latency_ci95"]["p50"][0] < 9.0 < result["latency_ci95"]["p50"][1]
    assert result["latency_ms"]["stdev"] == pytest.approx(math.sqrt((9 + 16 + 0) / 3))  # pooled, not averaged
    assert "stdev" not in result["latency_ci95"]
    assert result["stable"] and result["stable_after_s"] == 14.0  # the slowest run to settle
    assert result["peak_rss_mb"] == 170.0 and result["iterations"] == 3000
    assert (result["prepare_s"], result["cache_hit"]) == (8.0, False)  # the first run's, which converted
    # 2 GFLOPs per image × 100 img/s = 200 GFLOP/s of a 400 GFLOP/s bf16 peak: the precision that ran, not fp32.
    assert result["achieved_gflops"] == 200.0 and result["peak_share"] == 0.5


def test_one_run_has_unknown_intervals_and_a_run_that_never_settled_makes_the_result_unstable() -> None:
    result = combine([make_run(stable=False, stable_after_s=None)], [described()], {})
    assert result["throughput_ci95"] is None and result["throughput_cv"] is None
    assert set(result["latency_ci95"].values()) == {None}
    assert not result["stable"] and result["stable_after_s"] is None
    assert result["peak_share"] is None and result["achieved_gflops"] == pytest.approx(200.0)  # no peak measured


def test_repeats_that_ran_different_configurations_are_refused() -> None:
    with pytest.raises(RepeatsDisagree, match="precision_used"):
        combine([make_run(), make_run()], [described(), described(precision_used="fp32")], {})
