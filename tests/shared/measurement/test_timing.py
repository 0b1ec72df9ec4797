"""The shared timing loop and statistics, driven by a synthetic engine (pure logic, no hardware involved)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from shared.measurement.timing import (
    MAX_EXTENSION,
    MIN_ITERATIONS,
    WARMUP_ITERATIONS,
    WARMUP_S,
    Cancelled,
    agree,
    measure,
    summarize,
    window_size,
    window_throughputs,
)


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


class PhasedEngine(SleepingEngine):
    """Completes inferences every `period` seconds for `switch_s` of measuring, every `later` seconds after."""

    def __init__(self, period: float, later: float, switch_s: float) -> None:
        super().__init__(period)
        self.later, self.switch_s, self.started = later, switch_s, time.perf_counter()

    def run(self, keep_going: Callable[[], bool], completed: Callable[[float, float], None]) -> None:
        self.started = time.perf_counter()
        while keep_going():
            start = time.perf_counter()
            time.sleep(self.period if start - self.started < WARMUP_S + self.switch_s else self.later)
            completed(time.perf_counter(), time.perf_counter() - start)


class AlternatingEngine(SleepingEngine):
    """Fast and slow in turns of `turn_s`: never stable."""

    def __init__(self, fast: float, slow: float, turn_s: float) -> None:
        super().__init__(fast)
        self.fast, self.slow, self.turn_s = fast, slow, turn_s

    def run(self, keep_going: Callable[[], bool], completed: Callable[[float, float], None]) -> None:
        begun = time.perf_counter()
        while keep_going():
            start = time.perf_counter()
            time.sleep(self.fast if int((start - begun) / self.turn_s) % 2 == 0 else self.slow)
            completed(time.perf_counter(), time.perf_counter() - start)


def test_percentiles_and_throughput_from_raw_numbers() -> None:
    ends = [0.1 * i for i in range(1, 101)]  # 100 completions, 0.1 s apart, from t=0
    latencies = [i / 1000 for i in range(1, 101)]  # 1..100 ms
    windows = window_throughputs(0.0, [ends[i] for i in range(9, 100, 10)], size=10, batch_size=2)
    m = summarize(0.0, ends, latencies, batch_size=2, windows=windows, window_s=1.0, stable_after_s=10.0)
    assert m.throughput == pytest.approx(2 * 100 / 10.0)
    assert m.latency_ms["p50"] == pytest.approx(50.5) and m.latency_ms["p99"] == pytest.approx(99.01)
    assert m.latency_ms["mean"] == pytest.approx(50.5) and m.iterations == 100
    assert len(m.windows) == 10 and all(w == pytest.approx(20.0) for w in m.windows)
    assert m.stable and m.stable_after_s == 10.0
    assert not summarize(0.0, ends, latencies, 2, windows, 1.0, stable_after_s=None).stable


def test_windows_timed_between_completions_are_exact_for_engines_that_finish_in_rounds() -> None:
    # Two requests finishing together every 0.5 s: 4 completions/s. Counting completions in slices of time would
    # jump by a round; windows of whole rounds, timed from completion to completion, read 4/s every time.
    ends = [0.5 * (i // 2 + 1) for i in range(60)]
    size = window_size(10.0, completions_per_s=4.0, in_flight=2)
    assert size == 12 and size % 2 == 0
    windows = window_throughputs(0.0, [ends[i] for i in range(size - 1, 60, size)], size, batch_size=1)
    assert windows == [pytest.approx(4.0)] * 5 and agree(windows)


def test_the_gate_wants_the_last_three_windows_within_five_percent_of_their_mean() -> None:
    assert agree([50.0, 100.0, 104.0, 96.0])  # an early slow window does not matter
    assert not agree([100.0, 100.0, 100.0, 112.0])  # 112 is 8 % above the mean of the last three (103.3)
    assert agree([100.0, 104.9, 95.1])
    assert not agree([100.0, 100.0])  # fewer than three windows
    assert not agree([0.0, 0.0, 0.0])


def test_a_window_is_a_fifth_of_the_duration_at_least_twelve_completions_in_whole_rounds() -> None:
    assert window_size(10.0, completions_per_s=1000, in_flight=1) == 2000  # fast: duration / 5
    assert window_size(10.0, completions_per_s=1000, in_flight=3) == 2001
    assert window_size(10.0, completions_per_s=2, in_flight=1) == 12  # slow: never fewer than 12
    assert window_size(10.0, completions_per_s=2, in_flight=8) == 16


def test_a_steady_engine_passes_the_gate() -> None:
    m = measure(SleepingEngine(period=0.005), duration_s=1.5)
    assert m.stable and m.stable_after_s is not None and 1.5 <= m.stable_after_s <= MAX_EXTENSION * 1.5
    assert m.duration_s >= m.stable_after_s and len(m.windows) >= 3
    assert all(w == pytest.approx(m.throughput, rel=0.2) for w in m.windows)


def test_an_engine_that_settles_late_is_measured_until_it_is_stable() -> None:
    # 5 ms per inference for the first 1.2 s of measuring, 15 ms after: the windows agree only once the
    # last three are all in the slower phase, well past the 1.5 s duration.
    m = measure(PhasedEngine(period=0.005, later=0.015, switch_s=1.2), duration_s=1.5)
    assert m.stable and m.stable_after_s is not None and m.stable_after_s > 1.2 + 3 * 0.3
    assert m.stable_after_s <= MAX_EXTENSION * 1.5


def test_an_engine_that_never_settles_stops_at_three_times_its_duration_unstable() -> None:
    m = measure(AlternatingEngine(fast=0.004, slow=0.02, turn_s=0.15), duration_s=1.0)
    assert not m.stable and m.stable_after_s is None
    # Stopped at the cap: the measured span starts at the first timed completion, a few microseconds after the clock
    # the cap is counted from (seen: 2.99999 s), so the lower bound has 50 ms of slack.
    assert MAX_EXTENSION * 1.0 - 0.05 <= m.duration_s < MAX_EXTENSION * 1.0 + 0.5


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
