"""The speed-accuracy Pareto frontier: the models that no other model beats on both throughput and top-1."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Point:
    """One model on the chart: its measured throughput against its ImageNet top-1."""

    key: str  # unique id of the point (e.g. a result id as string)
    label: str  # what a person reads, e.g. "resnet50" or "resnet50.tv_in1k"
    family: str | None  # one of "CNN", "transformer", "mobile", "MLP", "hybrid", or None when unknown
    throughput: float  # images/s, > 0
    top1: float  # ImageNet top-1 %, 0-100
    throughput_ci95: tuple[float, float] | None = None  # 95 % interval of the mean over repeats; None: unknown
    peak_share: float | None = None  # achieved GFLOP/s over the machine's measured peak in the precision that ran

    def __post_init__(self) -> None:
        # Ratios divide by throughput: refuse a bad value here, where it is visible, not deep inside a sentence.
        if not (math.isfinite(self.throughput) and self.throughput > 0):
            raise ValueError(f"{self.label}: throughput must be a finite number > 0, got {self.throughput!r}")
        if not math.isfinite(self.top1):
            raise ValueError(f"{self.label}: top-1 must be a finite number, got {self.top1!r}")


def dominates(q: Point, p: Point) -> bool:
    """True when q is at least as fast and as accurate as p, and strictly better on one of the two."""
    return q.throughput >= p.throughput and q.top1 >= p.top1 and (q.throughput > p.throughput or q.top1 > p.top1)


def pareto_frontier(points: Sequence[Point]) -> list[Point]:
    """The points no other point dominates, by increasing throughput (so decreasing top-1).

    Exact duplicates both stay; among them the input order is kept. O(n log n): one sort, one sweep.
    """
    ordered = sorted(points, key=lambda p: (-p.throughput, -p.top1))  # stable: duplicates keep input order
    frontier: list[Point] = []
    best_faster = -math.inf  # best top-1 among the points strictly faster than the current group
    i = 0
    while i < len(ordered):
        j = i
        while j < len(ordered) and ordered[j].throughput == ordered[i].throughput:
            j += 1
        group_best = ordered[i].top1  # within a group of equal speed, the most accurate comes first
        if group_best > best_faster:
            frontier.extend(reversed([p for p in ordered[i:j] if p.top1 == group_best]))
        best_faster = max(best_faster, group_best)
        i = j
    frontier.reverse()
    return frontier


def dominated_by(point: Point, frontier: Sequence[Point]) -> Point | None:
    """The fastest point of `frontier` (as pareto_frontier returns it) that dominates `point`, or None if none does.

    That point is the fastest frontier point at least as accurate as `point`; never `point` itself. O(log n).
    """
    # Along the frontier top-1 never rises, so the points at least as accurate as `point` form a prefix.
    at_least = bisect_right(frontier, -point.top1, key=lambda q: -q.top1)
    if at_least == 0:
        return None
    fastest = frontier[at_least - 1]
    return fastest if dominates(fastest, point) else None


def frontier_certainty(points: Sequence[Point], runs: Mapping[str, Sequence[float]], resamples: int = 1000,
                       seed: int = 0) -> dict[str, float | None]:
    """For each frontier point (by key): the share of bootstrap resamples of the runs in which it stays on the frontier.

    Each resample redraws every point that has two or more runs: its throughput becomes the mean of as many runs
    drawn with replacement from its own; points with fewer runs keep their throughput, and top-1 is fixed. A frontier
    point with fewer than two runs gets None: its own spread is unknown. Deterministic for a given seed.
    """
    frontier = pareto_frontier(points)
    if not frontier:
        return {}
    points = _contenders(points, runs)  # the rest are dominated in every resample: they change no frontier
    rng = np.random.default_rng(seed)
    speeds = np.tile(np.array([p.throughput for p in points], dtype=float), (resamples, 1))
    for column, p in enumerate(points):
        own = np.asarray(runs.get(p.key, ()), dtype=float)
        if len(own) >= 2:
            speeds[:, column] = own[rng.integers(0, len(own), size=(resamples, len(own)))].mean(axis=1)
    on = _on_frontier(speeds, np.array([p.top1 for p in points], dtype=float))
    index = {p.key: column for column, p in enumerate(points)}
    return {p.key: (float(on[:, index[p.key]].mean()) if len(runs.get(p.key, ())) >= 2 else None) for p in frontier}


def _contenders(points: Sequence[Point], runs: Mapping[str, Sequence[float]]) -> list[Point]:
    """The points that can be on the frontier in some resample. A resampled mean lies between a point's slowest and
    fastest run, so a point is out when another at least as accurate is faster even at its slowest than this one
    at its fastest (dominance is transitive: dropping such points changes no resample's frontier)."""
    def span(p: Point) -> tuple[float, float]:
        own = runs.get(p.key, ())
        return (min(own), max(own)) if len(own) >= 2 else (p.throughput, p.throughput)

    kept: list[Point] = []
    fastest_slow = -math.inf  # the best "slowest run" among the points at least as accurate as the current group
    ordered = sorted(points, key=lambda p: -p.top1)
    i = 0
    while i < len(ordered):
        j = i
        while j < len(ordered) and ordered[j].top1 == ordered[i].top1:
            j += 1
        group = ordered[i:j]
        fastest_slow = max(fastest_slow, *(span(p)[0] for p in group))
        kept += [p for p in group if span(p)[1] >= fastest_slow]
        i = j
    return kept


def _on_frontier(speeds: np.ndarray, top1: np.ndarray) -> np.ndarray:
    """Per resample (row), which points no other point dominates, exactly as pareto_frontier decides, vectorised:
    sorted fastest first (most accurate first among equal speeds), a point is on the frontier when it is the most
    accurate of its group of equal speed and more accurate than every strictly faster point."""
    rows, n = speeds.shape
    order = np.lexsort((-np.broadcast_to(top1, speeds.shape), -speeds), axis=1)
    fast = np.take_along_axis(speeds, order, axis=1)
    acc = top1[order]
    best_before = np.full((rows, n), -np.inf)  # the best top-1 of the points sorted before each one
    best_before[:, 1:] = np.maximum.accumulate(acc, axis=1)[:, :-1]
    starts_group = np.ones((rows, n), dtype=bool)
    starts_group[:, 1:] = fast[:, 1:] != fast[:, :-1]
    group_start = np.maximum.accumulate(np.where(starts_group, np.arange(n), 0), axis=1)
    group_best = np.take_along_axis(acc, group_start, axis=1)
    faster_best = np.take_along_axis(best_before, group_start, axis=1)
    on_sorted = (acc == group_best) & (group_best > faster_best)
    on = np.empty_like(on_sorted)
    np.put_along_axis(on, order, on_sorted, axis=1)
    return on
