"""One timing loop and one set of statistics for every engine, so CPU and GPU numbers mean the same.

An engine runs inferences back to back (keeping as many in flight as it likes) and reports each
completion; this module decides when warm-up ends, when measuring is done, and what the numbers are.

Measuring ends at a stability gate, as Triton's perf_analyzer does: once `duration_s` and 20 iterations are
done, it goes on while the last three windows' throughputs disagree by more than ±5 % of their mean, up to
3 × `duration_s`. The result says whether the gate passed and after how many seconds of measuring. A window is a
fixed number of completions (window_size), timed from the end of one to the end of another; the gate judges the
last three at each window that ends after `duration_s`, so a steady run ends within a window (a fifth of
`duration_s`) after it.
"""

from __future__ import annotations

import math
import statistics
import threading
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
WINDOWS_PER_DURATION = 5  # a window holds about duration_s / 5 of completions at the warm-up's pace ...
MIN_PER_WINDOW = 12  # ... and never fewer than 12


class Cancelled(SpeedboardError):
    """The job was cancelled while it was being measured."""

    status = 409

    def __init__(self) -> None:
        super().__init__("cancelled while measuring")


class Runnable(Protocol):
    batch_size: int
    in_flight: int  # inferences it keeps running at once (OpenVINO's infer requests; 1 for a GPU stream)

    def run(self, keep_going: Callable[[], bool], completed: Callable[[float, float], None]) -> None:
        """Run inferences while `keep_going()`; call `completed(end, latency_s)` for each finished one."""


@dataclass
class Measurement:
    throughput: float
    latency_ms: dict[str, float]
    windows: list[float]  # throughput of each whole window, in order
    window_s: float  # their mean length
    stable: bool  # the gate passed
    stable_after_s: float | None  # seconds of measuring when it passed; None when it never did
    iterations: int
    duration_s: float


def window_size(duration_s: float, completions_per_s: float, in_flight: int) -> int:
    """Completions per window: duration_s / 5 worth at the warm-up's pace, at least 12, and a whole number of rounds
    of the engine's in-flight inferences. A window is timed from one completion to another, never by counting
    completions in a slice of time: inferences that finish together in rounds would make such counts jump by a
    round (5 % of a 20-completion window) on a perfectly steady engine."""
    wanted = max(MIN_PER_WINDOW, round(completions_per_s * duration_s / WINDOWS_PER_DURATION))
    return math.ceil(wanted / in_flight) * in_flight


def agree(windows: list[float]) -> bool:
    """True when each of the last three windows lies within ±5 % of their mean."""
    last = windows[-STABLE_WINDOWS:]
    if len(last) < STABLE_WINDOWS:
        return False
    mean = statistics.fmean(last)
    return mean > 0 and all(abs(w - mean) <= STABLE_TOLERANCE * mean for w in last)


def window_throughputs(start: float, boundaries: list[float], size: int, batch_size: int) -> list[float]:
    """Each window's throughput: `size` completions over the time from the previous boundary to its last one."""
    edges = [start, *boundaries]
    return [size * batch_size / (b - a) if b > a else math.inf for a, b in zip(edges, edges[1:], strict=False)]


@dataclass
class _Recorder:
    duration_s: float
    batch_size: int
    in_flight: int
    progress: Callable[[str, float], None]
    should_stop: Callable[[], bool]
    started: float = field(default_factory=time.perf_counter)
    measure_from: float | None = None
    window: int = 0  # completions per window, set when warm-up ends
    warmup_done: int = 0
    ends: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    boundaries: list[float] = field(default_factory=list)  # the end of each whole window's last completion
    lock: threading.Lock = field(default_factory=threading.Lock)  # completions arrive on the engine's threads
    last_check: float = 0.0
    windows_checked: int = 0
    stable_after_s: float | None = None
    cancelled: bool = False

    def completed(self, end: float, latency_s: float) -> None:
        with self.lock:
            if self.measure_from is None:
                self.warmup_done += 1
            elif end > self.measure_from:
                self.ends.append(end)
                self.latencies.append(latency_s)
                if len(self.ends) % self.window == 0:
                    self.boundaries.append(end)

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
                with self.lock:
                    self.window = window_size(self.duration_s, self.warmup_done / warmed, self.in_flight)
                    self.measure_from = now
            return True
        elapsed = now - self.measure_from
        if elapsed < self.duration_s or len(self.ends) < MIN_ITERATIONS:
            return True
        return not (self._gate_passed() or elapsed >= MAX_EXTENSION * self.duration_s)

    def _gate_passed(self) -> bool:
        """Judged at each window that ends once duration_s is done, so the last window judged covers its end."""
        assert self.measure_from is not None
        with self.lock:
            boundaries = list(self.boundaries)
        if len(boundaries) <= self.windows_checked or boundaries[-1] - self.measure_from < self.duration_s:
            return False  # no new window since the last look, or none ending after the duration yet
        self.windows_checked = len(boundaries)
        if agree(window_throughputs(self.measure_from, boundaries, self.window, self.batch_size)):
            self.stable_after_s = boundaries[-1] - self.measure_from
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
    recorder = _Recorder(duration_s, engine.batch_size, getattr(engine, "in_flight", 1), progress, should_stop)
    engine.run(recorder.keep_going, recorder.completed)
    if recorder.cancelled:
        raise Cancelled
    assert recorder.measure_from is not None
    start, boundaries = recorder.measure_from, recorder.boundaries
    windows = window_throughputs(start, boundaries, recorder.window, engine.batch_size)
    window_s = (boundaries[-1] - start) / len(boundaries) if boundaries else max(recorder.ends) - start
    return summarize(start, recorder.ends, recorder.latencies, engine.batch_size, windows, window_s,
                     recorder.stable_after_s)


def summarize(start: float, ends: list[float], latencies: list[float], batch_size: int, windows: list[float],
              window_s: float, stable_after_s: float | None) -> Measurement:
    """Throughput over the whole measured span (start to the last completion), its windows, latency percentiles."""
    elapsed = max(ends) - start
    throughput = len(ends) * batch_size / elapsed
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
