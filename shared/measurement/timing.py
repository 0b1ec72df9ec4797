"""One timing loop and one set of statistics for every engine, so CPU and GPU numbers mean the same.

An engine runs inferences back to back (keeping as many in flight as it likes) and reports each
completion; this module decides when warm-up ends, when measuring is done, and what the numbers are.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from shared import SpeedboardError

WARMUP_S = 2.0
WARMUP_ITERATIONS = 10
MIN_ITERATIONS = 20
MAX_WINDOWS = 10
ITERATIONS_PER_WINDOW = 10
UNSTABLE_SPREAD = 0.10  # windows whose throughput spreads more than 10% around the median make a run unstable
CHECK_EVERY_S = 0.5


class Cancelled(SpeedboardError):
    """The job was cancelled while it was being measured."""

    status = 409

    def __init__(self) -> None:
        super().__init__("cancelled while measuring")


class Runnable(Protocol):
    batch_size: int

    def run(self, keep_going: Callable[[], bool], completed: Callable[[float, float], None]) -> None:
        """Run inferences while `keep_going()`; call `completed(end, latency_s)` for each finished one."""


@dataclass
class Measurement:
    throughput: float
    latency_ms: dict[str, float]
    windows: list[float]
    stable: bool
    iterations: int
    duration_s: float


@dataclass
class _Recorder:
    duration_s: float
    progress: Callable[[str, float], None]
    should_stop: Callable[[], bool]
    started: float = field(default_factory=time.perf_counter)
    measure_from: float | None = None
    warmup_done: int = 0
    ends: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    last_check: float = 0.0
    cancelled: bool = False

    def completed(self, end: float, latency_s: float) -> None:
        if self.measure_from is None:
            self.warmup_done += 1
        elif end > self.measure_from:
            self.ends.append(end)
            self.latencies.append(latency_s)

    def keep_going(self) -> bool:
        now = time.perf_counter()
        if now - self.last_check >= CHECK_EVERY_S:
            self.last_check = now
            if self.should_stop():
                self.cancelled = True
                return False
            self._report(now)
        if self.measure_from is None:
            if now - self.started >= WARMUP_S and self.warmup_done >= WARMUP_ITERATIONS:
                self.measure_from = now
            return True
        return now - self.measure_from < self.duration_s or len(self.ends) < MIN_ITERATIONS

    def _report(self, now: float) -> None:
        if self.measure_from is None:
            self.progress("warming up", min(1.0, (now - self.started) / WARMUP_S))
        else:
            # Measuring ends when both the duration and the iteration count are reached: the laggard decides.
            done = min((now - self.measure_from) / self.duration_s, len(self.ends) / MIN_ITERATIONS)
            self.progress("measuring", min(1.0, done))


def measure(
    engine: Runnable,
    duration_s: float,
    progress: Callable[[str, float], None] = lambda stage, fraction: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> Measurement:
    """Warm up (2 s and 10 iterations), then measure until `duration_s` and 20 iterations are both done."""
    recorder = _Recorder(duration_s, progress, should_stop)
    engine.run(recorder.keep_going, recorder.completed)
    if recorder.cancelled:
        raise Cancelled
    assert recorder.measure_from is not None
    return summarize(recorder.measure_from, recorder.ends, recorder.latencies, engine.batch_size)


def summarize(start: float, ends: list[float], latencies: list[float], batch_size: int) -> Measurement:
    """Throughput over the measured window (start to the last completion) and latency percentiles."""
    ends = sorted(ends)
    elapsed = ends[-1] - start
    throughput = len(ends) * batch_size / elapsed
    windows = _window_throughputs(start, ends, batch_size)
    median = statistics.median(windows)
    stable = median > 0 and (max(windows) - min(windows)) / median <= 2 * UNSTABLE_SPREAD
    ms = sorted(x * 1000 for x in latencies)
    latency = {
        "mean": statistics.fmean(ms),
        "stdev": statistics.stdev(ms) if len(ms) > 1 else 0.0,
        "p50": _percentile(ms, 50),
        "p90": _percentile(ms, 90),
        "p95": _percentile(ms, 95),
        "p99": _percentile(ms, 99),
    }
    return Measurement(throughput, latency, windows, stable, len(ends), elapsed)


def _window_throughputs(start: float, ends: list[float], batch_size: int) -> list[float]:
    # Enough completions per window that one straggler does not look like instability.
    windows = max(2, min(MAX_WINDOWS, len(ends) // ITERATIONS_PER_WINDOW))
    span = (ends[-1] - start) / windows
    counts = [0] * windows
    for end in ends:
        counts[min(windows - 1, int((end - start) / span))] += 1
    return [count * batch_size / span for count in counts]


def _percentile(sorted_values: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    rank = (len(sorted_values) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)
