"""Throughput against p99 latency over one model's configurations (batch size × CPU streams) in a sweep.

A curve's front holds the configurations that no other one beats on both throughput and p99; its knee is the front
point that buys the most throughput for the least latency (Kneedle). Every number in a sentence comes from the
configurations given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# A knee must give more of the throughput range than of the p99 range by more than this: on a straight front the
# difference is zero but for rounding (about 1e-16), which must not make a knee of an arbitrary point.
KNEE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Config:
    """One configuration of a sweep: its mean throughput and its p99 latency."""

    key: int  # result id
    batch_size: int
    streams: int  # CPU streams; 1 on a GPU
    throughput: float  # images/s, > 0
    p99_ms: float  # p99 latency in ms, > 0
    gpu: bool = False  # a GPU engine runs one stream: the label names the batch only

    def __post_init__(self) -> None:
        # Shares divide by both figures: refuse a bad value here, where it is visible, not deep inside a sentence.
        if not (math.isfinite(self.throughput) and self.throughput > 0):
            raise ValueError(f"{self.label}: throughput must be a finite number > 0, got {self.throughput!r}")
        if not (math.isfinite(self.p99_ms) and self.p99_ms > 0):
            raise ValueError(f"{self.label}: p99 must be a finite number > 0, got {self.p99_ms!r}")

    @property
    def label(self) -> str:
        """What a person reads, e.g. "batch 8 × 2 streams", "batch 1 × 1 stream", or "batch 8" on a GPU."""
        if self.gpu:
            return f"batch {self.batch_size}"
        return f"batch {self.batch_size} × {self.streams} stream{'' if self.streams == 1 else 's'}"


@dataclass(frozen=True)
class Curve:
    """One model's configurations, their Pareto front, the best of each kind and the knee (None when there is none)."""

    configs: list[Config]  # all, by p99 ascending, then throughput descending, then key
    front: list[Config]  # the configurations no other dominates, by p99 ascending (so throughput ascending too)
    best_throughput: Config  # highest throughput; ties: lower p99, then lower key
    best_latency: Config  # lowest p99; ties: higher throughput, then lower key
    knee: Config | None


def dominates(q: Config, c: Config) -> bool:
    """True when q has at least c's throughput and at most its p99, and is strictly better on one of the two."""
    return q.throughput >= c.throughput and q.p99_ms <= c.p99_ms and (q.throughput > c.throughput or q.p99_ms < c.p99_ms)


def curve(configs: Sequence[Config]) -> Curve:
    """The curve of `configs`. Configurations with identical throughput and p99 neither dominates the other, so both
    stay on the front, by key. ValueError when `configs` is empty."""
    if not configs:
        raise ValueError("a curve needs at least one configuration")
    ordered = sorted(configs, key=_latency_order)
    front = _front(ordered)
    return Curve(
        configs=ordered,
        front=front,
        best_throughput=min(ordered, key=lambda c: (-c.throughput, c.p99_ms, c.key)),
        best_latency=ordered[0],
        knee=knee(front),
    )


def _latency_order(c: Config) -> tuple[float, float, int]:
    return (c.p99_ms, -c.throughput, c.key)


def _front(ordered: list[Config]) -> list[Config]:
    """The undominated configurations of `ordered` (sorted by _latency_order), in that order. One sweep: a
    configuration is on the front when it is the fastest of its equal-p99 group and faster than every one with a
    lower p99."""
    front: list[Config] = []
    fastest_before = -math.inf  # the highest throughput among the configurations with a strictly lower p99
    i = 0
    while i < len(ordered):
        j = i
        while j < len(ordered) and ordered[j].p99_ms == ordered[i].p99_ms:
            j += 1
        group_fastest = ordered[i].throughput  # throughput descending within the group
        if group_fastest > fastest_before:
            front += [c for c in ordered[i:j] if c.throughput == group_fastest]
        fastest_before = max(fastest_before, group_fastest)
        i = j
    return front


def knee(front: Sequence[Config]) -> Config | None:
    """The knee of a front (as curve() gives it) by the Kneedle rule (Satopää et al., 2011).

    p99 and throughput are each scaled to [0, 1] over the front's own range; the knee is the point with the largest
    (throughput share − p99 share), the lower p99 on a tie. It must be neither the lowest-p99 end nor the
    highest-throughput end, and the difference must be positive (above KNEE_TOLERANCE); otherwise None: fewer than
    three points, or a straight or convex front where no point gives more of the throughput than of the latency.
    """
    if len(front) < 3:
        return None
    ordered = sorted(front, key=_latency_order)
    p99_low, p99_high = ordered[0].p99_ms, max(c.p99_ms for c in ordered)
    speed_low, speed_high = min(c.throughput for c in ordered), max(c.throughput for c in ordered)
    if p99_high == p99_low or speed_high == speed_low:
        return None
    best: Config | None = None
    best_gain = -math.inf
    for c in ordered:
        gain = (c.throughput - speed_low) / (speed_high - speed_low) - (c.p99_ms - p99_low) / (p99_high - p99_low)
        if gain > best_gain:  # strict: the first, so the lower p99, wins a tie
            best, best_gain = c, gain
    if best is None or best.p99_ms == p99_low or best.throughput == speed_high or best_gain <= KNEE_TOLERANCE:
        return None
    return best


def curve_insight(name: str, c: Curve) -> str:
    """One sentence about model `name`'s curve: its best configuration for throughput, for latency, and its knee."""
    top, quick = c.best_throughput, c.best_latency
    if len(c.configs) == 1:
        return f"{name}: only {top.label} was measured ({_figures(top)}), so there is nothing to compare."
    if top == quick:
        return (f"{name}: {top.label} is best on both: the most throughput and the lowest p99 of the {len(c.configs)}"
                f" configurations ({_figures(top)}).")
    head = (f"{name}: the most throughput is {top.label} ({_speed(top.throughput)}, p99 {_ms(top.p99_ms)}),"
            f" the lowest p99 {quick.label} ({_ms(quick.p99_ms)}, {_speed(quick.throughput)})")
    if c.knee is not None:
        return (f"{head}; {c.knee.label} gives {_share(c.knee.throughput / top.throughput)} of the peak throughput"
                f" at {_share(c.knee.p99_ms / top.p99_ms)} of its p99.")
    if len({(k.throughput, k.p99_ms) for k in c.front}) <= 2:
        return f"{head}; no configuration in between trades well: no other is on the front."
    return (f"{head}; no configuration in between trades well: the front has no knee, none on it gives more of the"
            " throughput range than of the p99 range.")


def _figures(c: Config) -> str:
    return f"{_speed(c.throughput)}, p99 {_ms(c.p99_ms)}"


def _speed(images_per_s: float) -> str:
    text = _three_figures(images_per_s)
    return f"{images_per_s:,.0f} img/s" if float(text.replace(",", "")) >= 100 else f"{text} img/s"


def _ms(ms: float) -> str:
    return f"{_three_figures(ms)} ms"


def _three_figures(value: float) -> str:
    """`value` (> 0) to three significant figures, trailing zeros kept, no exponent: 21.4, 0.500, 480, 1,230."""
    rounded = float(f"{value:.3g}")  # rounded first: 99.96 becomes 100, shown with no decimals
    decimals = max(0, 2 - math.floor(math.log10(rounded)))
    return f"{rounded:,.{decimals}f}"


def _share(fraction: float) -> str:
    """A fraction as a whole percentage; one strictly between 0 and 1 % or 99 and 100 % never shows as 0 or 100."""
    percent = fraction * 100
    whole = math.floor(percent + 0.5)  # half up, not Python's round-half-even
    if whole == 0 and percent > 0:
        return "under 1 %"
    if whole == 100 and percent < 100:
        return "over 99 %"
    return f"{whole} %"
