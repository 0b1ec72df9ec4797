"""The shared timing loop and statistics, driven by a synthetic engine (pure logic, no hardware involved)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from shared.measurement.timing import MIN_ITERATIONS, WARMUP_ITERATIONS, WARMUP_S, Cancelled, measure, summarize


class SleepingEngine:
    """Completes one inference every `period` seconds, one at a time."""

    batch_size = 4

    def __init__(self, period: float) -> None:
        self.period = period
        self.calls = 0

    def run(self, keep_going: Callable[[], bool], completed: Callable[[float, float], None]) -> None:
        while keep_going():
            start = time.perf_counter()
            time.sleep(self.period)
            self.calls += 1
            completed(time.perf_counter(), time.perf_counter() - start)


def test_percentiles_and_throughput_from_raw_numbers() -> None:
    ends = [0.1 * i for i in range(1, 101)]  # 100 completions, 0.1 s apart, from t=0
    latencies = [i / 1000 for i in range(1, 101)]  # 1..100 ms
    m = summarize(0.0, ends, latencies, batch_size=2)
    assert m.throughput == pytest.approx(2 * 100 / 10.0)
    assert m.latency_ms["p50"] == pytest.approx(50.5) and m.latency_ms["p99"] == pytest.approx(99.01)
    assert m.latency_ms["mean"] == pytest.approx(50.5) and m.iterations == 100
    # A completion on a window boundary may land in either window: one iteration of slack.
    assert len(m.windows) == 10 and all(w == pytest.approx(20.0, abs=2.01) for w in m.windows) and m.stable


def test_a_run_that_slows_down_is_marked_unstable() -> None:
    ends = [0.05 * i for i in range(1, 101)] + [5 + 0.2 * i for i in range(1, 51)]
    m = summarize(0.0, ends, [0.01] * len(ends), batch_size=1)
    assert not m.stable and max(m.windows) > 2 * min(m.windows)


def test_measuring_honours_warmup_duration_and_minimum_iterations() -> None:
    engine = SleepingEngine(period=0.1)  # 20 iterations take 2 s: the minimum count outlasts a 1 s duration
    started = time.perf_counter()
    m = measure(engine, duration_s=1.0)
    assert m.iterations >= MIN_ITERATIONS and m.duration_s >= 1.0
    assert engine.calls - m.iterations >= WARMUP_ITERATIONS
    assert time.perf_counter() - started >= WARMUP_S + 1.9
    assert 0 < m.throughput <= 4 / 0.1 * 1.01  # never faster than the engine can complete


def test_cancellation_is_noticed_within_a_second() -> None:
    engine = SleepingEngine(period=0.01)
    asked = time.perf_counter() + 0.5
    with pytest.raises(Cancelled):
        measure(engine, duration_s=60, should_stop=lambda: time.perf_counter() > asked)
    assert time.perf_counter() - asked < 1.0


def test_progress_is_reported_by_stage() -> None:
    seen: list[tuple[str, float]] = []
    measure(SleepingEngine(period=0.02), duration_s=1.0, progress=lambda stage, f: seen.append((stage, f)))
    stages = [s for s, _ in seen]
    assert stages[0] == "warming up" and "measuring" in stages
    assert all(0 <= f <= 1 for _, f in seen)
