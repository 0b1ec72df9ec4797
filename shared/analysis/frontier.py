"""The speed-accuracy Pareto frontier: the models that no other model beats on both throughput and top-1."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Point:
    """One model on the chart: its measured throughput against its ImageNet top-1."""

    key: str  # unique id of the point (e.g. a result id as string)
    label: str  # what a person reads, e.g. "resnet50" or "resnet50.tv_in1k"
    family: str | None  # one of "CNN", "transformer", "mobile", "MLP", "hybrid", or None when unknown
    throughput: float  # images/s, > 0
    top1: float  # ImageNet top-1 %, 0-100

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
