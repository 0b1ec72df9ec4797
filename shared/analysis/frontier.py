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
    # top1 is a published figure not measured on this engine (int8 calibrated on random inputs): every sentence naming
    # the point says so.
    unverified: bool = False

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
    speeds = _resampled_speeds(points, runs, resamples, np.random.default_rng(seed))
    shares = np.count_nonzero(_on_frontier(speeds, np.array([p.top1 for p in points], dtype=float)), axis=1) / resamples
    index = {p.key: row for row, p in enumerate(points)}
    return {p.key: _share_of(shares, index.get(p.key)) if len(runs.get(p.key, ())) >= 2 else None for p in frontier}


def _share_of(shares: np.ndarray, row: int | None) -> float:
    # No row: _contenders found the point dominated in every resample, which happens only when its mean is not
    # the mean of its runs (a run deleted since); then it never stays on the frontier.
    return 0.0 if row is None else float(shares[row])


def _contenders(points: Sequence[Point], runs: Mapping[str, Sequence[float]]) -> list[Point]:
    """The points that can be on the frontier in some resample, most accurate first. A resampled mean lies between a
    point's slowest and fastest run, so a point is out when another at least as accurate is faster even at its slowest
    than this one at its fastest (dominance is transitive: dropping such points changes no resample's frontier)."""
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


def _resampled_speeds(points: Sequence[Point], runs: Mapping[str, Sequence[float]], resamples: int,
                      rng: np.random.Generator) -> np.ndarray:
    """One row per point, one column per resample: the mean of len(runs) runs drawn with replacement from the point's
    runs, or its throughput where it has fewer than two. Points with equally many runs are drawn together, one draw
    of all of them at a time (a loop per point costs more than the frontier itself); rows, not columns, are points
    so that every later step works along contiguous memory.

    The runs are summed as differences from the point's throughput: the same mean, but runs that all equal it give
    it back exactly ((x + x + x) / 3 is not always x), so equal speeds stay equal, as pareto_frontier saw them.
    """
    base = np.array([p.throughput for p in points], dtype=float)
    speeds = np.repeat(base[:, None], resamples, axis=1)
    by_count: dict[int, list[int]] = {}
    for row, p in enumerate(points):
        if len(runs.get(p.key, ())) >= 2:
            by_count.setdefault(len(runs[p.key]), []).append(row)
    for count, rows in sorted(by_count.items()):
        own = np.array([runs[points[r].key] for r in rows], dtype=float) - base[rows, None]
        flat = own.ravel()  # point i's runs at i*count ... i*count + count - 1
        first = (np.arange(len(rows)) * count)[:, None]
        total = np.zeros((len(rows), resamples))
        for _ in range(count):
            picks = rng.integers(0, count, size=(len(rows), resamples))
            picks += first
            total += flat[picks]
        speeds[rows] += total / count
    return speeds


def _on_frontier(speeds: np.ndarray, top1: np.ndarray) -> np.ndarray:
    """Per resample (column), which points (rows, most accurate first) no other point dominates: a point is on the
    frontier when it is faster than every strictly more accurate point and at least as fast as every equally
    accurate one. That is pareto_frontier's rule seen from the other axis (most accurate of its equal-speed group,
    more accurate than every strictly faster point); top-1 is the same in every resample, so it is sorted once."""
    if np.any(top1[1:] > top1[:-1]):
        raise ValueError("the points must come most accurate first")
    starts = np.flatnonzero(np.r_[True, top1[1:] != top1[:-1]])  # groups of equal top-1
    sizes = np.diff(np.r_[starts, len(top1)])
    group_fastest = speeds if len(starts) == len(top1) else np.maximum.reduceat(speeds, starts, axis=0)
    more_accurate_fastest = np.empty_like(group_fastest)  # per group: the fastest of the groups before it
    more_accurate_fastest[0] = -np.inf
    np.maximum.accumulate(group_fastest[:-1], axis=0, out=more_accurate_fastest[1:])
    if len(starts) == len(top1):  # every top-1 differs, as with accuracies to two decimals: no group to spread
        return speeds > more_accurate_fastest
    return (speeds >= np.repeat(group_fastest, sizes, axis=0)) & (speeds > np.repeat(more_accurate_fastest, sizes, axis=0))
