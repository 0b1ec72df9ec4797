"""One timing loop and one set of statistics for every engine, so CPU and GPU numbers mean the same.

An engine runs inferences back to back (keeping as many in flight as it likes) and reports each
completion; this module decides when warm-up ends, when measuring is done, and what the numbers are.

Measuring ends at a stability gate, as Triton's perf_analyzer does: once `duration_s` and 20 iterations are
done, it goes on while the last three windows' throughputs disagree by more than ±5 % of their mean, up to
3 × `duration_s`. The result says whether the gate passed and after how many seconds of measuring.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from shared import SpeedboardError
from shared.jobs.vocabulary import MAX_EXTENSION, WARMUP_S

WARMUP_ITERATIONS = 10
MIN_ITERATIONS = 20
CHECK_EVERY_S = 0.5
# The stability gate.
STABLE_WINDOWS = 3  # the last three windows must agree
STABLE_TOLERANCE = 0.05  # each within ±5 % of their mean
# MAX_EXTENSION (the vocabulary's): measuring never runs longer than 3 × duration_s (and the 20 iterations).
WINDOWS_PER_DURATION = 5  # a window is duration_s / 5 ...
COMPLETIONS_PER_WINDOW = 20  # ... or long enough for 20 completions at the warm-up's pace (one more or less is 5 %) ...
# ... but never longer than duration_s / STABLE_WINDOWS, so the gate can pass at duration_s.


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
    windows: list[float]  # throughput of each whole window of `window_s`, in order
    window_s: float
    stable: bool  # the gate passed
    stable_after_s: float | None  # seconds of measuring when it passed; None when it never did
    iterations: int
    duration_s: float


def window_length(duration_s: float, completions_per_s: float) -> float:
    """The gate's window: duration_s / 5, longer for slow engines so each window holds ~20 completions."""
    wanted = max(duration_s / WINDOWS_PER_DURATION, COMPLETIONS_PER_WINDOW / max(completions_per_s, 1e-9))
    return min(wanted, duration_s / STABLE_WINDOWS)


def agree(windows: list[float]) -> bool:
    """True when each of the last three windows lies within ±5 % of their mean."""
    last = windows[-STABLE_WINDOWS:]
    if len(last) < STABLE_WINDOWS:
        return False
    mean = statistics.fmean(last)
    return mean > 0 and all(abs(w - mean) <= STABLE_TOLERANCE * mean for w in last)


def window_throughputs(start: float, ends: list[float], batch_size: int, window_s: float, count: int) -> list[float]:
    """Throughput of the first `count` whole windows of `window_s` after `start`."""
    counts = [0] * count
    for end in ends:
        index = int((end - start) / window_s)
        if 0 <= index < count:
            counts[index] += 1
    return [n * batch_size / window_s for n in counts]


@dataclass
class _Recorder:
    duration_s: float
    batch_size: int
    progress: Callable[[str, float], None]
    should_stop: Callable[[], bool]
    started: float = field(default_factory=time.perf_counter)
    measure_from: float | None = None
    window_s: float = 0.0
    warmup_done: int = 0
    ends: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    last_check: float = 0.0
    windows_checked: int = 0
    stable_after_s: float | None = None
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
            warmed = now - self.started
            if warmed >= WARMUP_S and self.warmup_done >= WARMUP_ITERATIONS:
                self.measure_from = now
                self.window_s = window_length(self.duration_s, self.warmup_done / warmed)
            return True
        elapsed = now - self.measure_from
        if elapsed < self.duration_s or len(self.ends) < MIN_ITERATIONS:
            return True
        return not (self._gate_passed(elapsed) or elapsed >= MAX_EXTENSION * self.duration_s)

    def _gate_passed(self, elapsed: float) -> bool:
        whole = int(elapsed / self.window_s)
        if whole <= self.windows_checked:
            return False  # no new window since the last look
        self.windows_checked = whole
        assert self.measure_from is not None
        if agree(window_throughputs(self.measure_from, self.ends, self.batch_size, self.window_s, whole)):
            self.stable_after_s = whole * self.window_s
            return True
        return False

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
    """Warm up (2 s and 10 iterations), then measure until `duration_s` and 20 iterations are both done and the
    stability gate passes, or 3 × `duration_s` has gone by."""
    recorder = _Recorder(duration_s, engine.batch_size, progress, should_stop)
    engine.run(recorder.keep_going, recorder.completed)
    if recorder.cancelled:
        raise Cancelled
    assert recorder.measure_from is not None
    return summarize(recorder.measure_from, recorder.ends, recorder.latencies, engine.batch_size, recorder.window_s,
                     recorder.stable_after_s)


def summarize(start: float, ends: list[float], latencies: list[float], batch_size: int, window_s: float,
              stable_after_s: float | None) -> Measurement:
    """Throughput over the whole measured span (start to the last completion), its windows, latency percentiles."""
    ends = sorted(ends)
    elapsed = ends[-1] - start
    throughput = len(ends) * batch_size / elapsed
    windows = window_throughputs(start, ends, batch_size, window_s, int(elapsed / window_s))
    ms = sorted(x * 1000 for x in latencies)
    latency = {
        "mean": statistics.fmean(ms),
        "stdev": statistics.stdev(ms) if len(ms) > 1 else 0.0,
        "p50": _percentile(ms, 50),
        "p90": _percentile(ms, 90),
        "p95": _percentile(ms, 95),
        "p99": _percentile(ms, 99),
    }
    return Measurement(throughput, latency, windows, window_s, stable_after_s is not None, stable_after_s, len(ends),
                       elapsed)


def _percentile(sorted_values: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    rank = (len(sorted_values) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)
