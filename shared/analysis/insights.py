"""Plain-English findings from a speed-accuracy chart, in the manner of a published benchmark's conclusions.

Every name and number comes from the points given; nothing about particular models is written in here.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence

from shared.analysis.frontier import Point, dominated_by, pareto_frontier
from shared.analysis.intervals import overlap

MAX_PER_BAND = 3  # frontier models named per accuracy band
MAX_LISTED = 5  # dominated models, and models slower than the reference, named per kind
MAX_NAMED_OFF_FRONTIER = 3  # models named for a family with none on the frontier
MAX_HARDWARE = 3  # models named for the best, and for the worst, use of the machine's measured peak


def write_insights(points: Sequence[Point], reference: str = "resnet50", levels: Sequence[float] | None = None) -> list[str]:
    """Sentences about `points`: the best models per accuracy band, the dominated models, the price of accuracy
    against `reference`, which families make the frontier, and which models use the machine's measured peak best
    and worst.

    Speeds are compared through their 95 % intervals (Point.throughput_ci95) where both are known: overlapping
    intervals are called indistinguishable rather than naming a winner, separate ones give the ratio's range. Where
    either interval is unknown (a single run) the plain ratio of the means is written, as before repeats existed.

    `levels` are the top-1 values that split the bands; None means one level, the frontier's median top-1 rounded
    to the nearest 0.5 (none when that leaves a band empty). No points give []; one point gives one sentence
    saying there is nothing to compare.
    """
    if not points:
        return []
    if len(points) == 1:
        return [f"Only one model has a known accuracy, {_describe(points[0])}, so there is nothing to compare it with."]
    frontier = pareto_frontier(points)
    return [
        *_bands(frontier, levels, points),
        *_dominated(points, frontier),
        *_against_reference(points, reference),
        *_families(points, frontier),
        *_hardware_use(points),
    ]


def _bands(frontier: list[Point], levels: Sequence[float] | None, points: Sequence[Point]) -> list[str]:
    if len(frontier) == 1:
        only = frontier[0]
        if any(_indistinguishable(only, p) for p in points if p is not only):
            # Fastest on the means only: another model's runs overlap its own, so "the fastest" would name a winner.
            return [f"{_describe(only)} is the most efficient model at every accuracy: it is the most accurate, and no model"
                    " is measurably faster on this hardware."]
        return [f"{_describe(only)} is the most efficient model at every accuracy: it is both the fastest and the most accurate."]
    if levels is None:
        middle = _nearest_half(statistics.median(p.top1 for p in frontier))
        # A split that leaves one side empty says nothing: then the frontier is described as one band.
        levels = [middle] if min(p.top1 for p in frontier) < middle <= max(p.top1 for p in frontier) else []
    edges = [-math.inf, *sorted(set(levels)), math.inf]
    sentences = []
    for low, high in zip(edges, edges[1:], strict=False):
        inside = sorted((p for p in frontier if low <= p.top1 < high), key=lambda p: -p.top1)
        if not inside:
            continue
        if low == -math.inf and high == math.inf:
            where = "Across all accuracies"
        elif low == -math.inf:
            where = f"Below {_level(high)} top-1"
        elif high == math.inf:
            where = f"At {_level(low)} top-1 and above"
        else:
            where = f"From {_level(low)} to {_level(high)} top-1"
        named = _unique_labels(inside)
        shown = [_describe(p) for p in named[:MAX_PER_BAND]]
        what = f"the most efficient model is {shown[0]}" if len(shown) == 1 else f"the most efficient models are {_join(shown)}"
        more = f" ({len(named) - MAX_PER_BAND} more on the frontier)" if len(named) > MAX_PER_BAND else ""
        sentences.append(f"{where}, {what}{more}.")
    return sentences


def _dominated(points: Sequence[Point], frontier: list[Point]) -> list[str]:
    beaten = []
    for p in points:
        q = dominated_by(p, frontier)
        if q is not None:
            beaten.append((q.throughput / p.throughput, q.top1 - p.top1, p, q))
    if not beaten:
        return [f"All {len(points)} models are on the frontier: none is both slower and less accurate than another."]
    # Worst first: the largest speed-up left on the table, the sure ones before those the runs cannot tell apart.
    beaten.sort(key=lambda b: (_indistinguishable(b[2], b[3]), -b[0], -b[1], b[2].label))
    sentences = []
    for ratio, gain, p, q in beaten[:MAX_LISTED]:
        rival = _name(q) if q.label != p.label else f"another {_name(q)} result"
        if _indistinguishable(p, q):
            # The means say q wins on speed, the runs cannot: only a difference in top-1 is worth a sentence.
            if gain == 0:
                sentences.append(f"{_name(p)} and {rival} are indistinguishable on this hardware: their speeds' 95% intervals"
                                 " overlap and their top-1 is the same.")
            else:
                sentences.append(f"{_name(p)} and {rival} are indistinguishable in speed on this hardware (95% intervals"
                                 f" overlap); {rival} has {_signed(gain)} top-1.")
            continue
        speed = "as fast" if ratio == 1 else f"{_times(ratio)} faster"
        accuracy = "at the same top-1" if gain == 0 else f"with {_signed(gain)} top-1"
        span = _ratio_interval(q, p)
        if span is not None:
            speed += f" ({_times_range(*span)})"
        sentences.append(f"{_name(p)} is dominated: {rival} is {speed} {accuracy}.")
    if len(beaten) > MAX_LISTED:
        rest = len(beaten) - MAX_LISTED
        sentences.append(f"{rest} more model{'s are' if rest > 1 else ' is'} dominated too.")
    return sentences


def _against_reference(points: Sequence[Point], reference: str) -> list[str]:
    ref = _find_reference(points, reference)
    if ref is None:
        return []
    slower = sorted((p for p in points if p.throughput < ref.throughput and p.label != ref.label), key=lambda p: p.throughput)
    sentences = []
    # Slowest first, so the steepest price paid for accuracy leads.
    for p in [p for p in slower if p.top1 > ref.top1][:MAX_LISTED]:
        gain = _signed(p.top1 - ref.top1)
        if _indistinguishable(p, ref):
            sentences.append(f"{_name(p)} is indistinguishable in speed from {_name(ref)} on this hardware, with {gain} top-1.")
        else:
            sentences.append(f"{_name(p)} is {_slower(ref, p)} slower than {_name(ref)} for {gain} top-1.")
    for p in [p for p in slower if p.top1 <= ref.top1][:MAX_LISTED]:
        loss = "at the same top-1" if p.top1 == ref.top1 else f"and {_pct(ref.top1 - p.top1)} less accurate"
        if _indistinguishable(p, ref):
            sentences.append(f"{_name(p)} is indistinguishable in speed from {_name(ref)} on this hardware {loss}.")
        else:
            sentences.append(f"{_name(p)} is {_slower(ref, p)} slower than {_name(ref)} {loss}.")
    return sentences


def _slower(ref: Point, p: Point) -> str:
    """How many times slower p is than ref: the 95 % range where both intervals are known, else the ratio of means."""
    span = _ratio_interval(ref, p)
    return _times(ref.throughput / p.throughput) if span is None else _times_range(*span)


def _find_reference(points: Sequence[Point], reference: str) -> Point | None:
    """The point labelled exactly `reference`, else one whose label before the first "." is; the most accurate
    (then fastest) of several, since tags of one architecture differ mostly in their weights."""
    exact = [p for p in points if p.label == reference]
    candidates = exact or [p for p in points if p.label.split(".", 1)[0] == reference]
    return max(candidates, key=lambda p: (p.top1, p.throughput), default=None)


def _families(points: Sequence[Point], frontier: list[Point]) -> list[str]:
    sentences = []
    held = Counter(p.family for p in frontier if p.family is not None)
    if held:
        most = max(held.values())
        leaders = sorted(f for f, n in held.items() if n == most)
        if most == len(frontier):
            sentences.append(f"Every frontier point is a {leaders[0]} model.")
        elif len(leaders) == 1:
            sentences.append(f"{leaders[0]} models hold {most} of the {len(frontier)} frontier points.")
        else:
            sentences.append(f"{_join(leaders)} models each hold {most} of the {len(frontier)} frontier points.")
    on_frontier = {p.key for p in frontier}
    present = Counter(p.family for p in points if p.family is not None)
    for family, count in sorted(present.items(), key=lambda fc: (-fc[1], fc[0])):
        if count < 2 or family in held:
            continue
        off = [p for p in points if p.family == family and p.key not in on_frontier]
        named = _unique_labels(sorted(off, key=lambda p: -p.top1))
        shown = [_name(p) for p in named[:MAX_NAMED_OFF_FRONTIER]]
        listing = ", ".join(shown) + (f" and {len(named) - len(shown)} more" if len(named) > len(shown) else "")
        sentences.append(f"No {family} model is on the frontier ({listing}).")
    return sentences


def _hardware_use(points: Sequence[Point]) -> list[str]:
    """Which models reach furthest towards the machine's measured matrix-multiply peak, and which stay furthest below.

    One share per label, its highest: results of one model at other batch sizes or stream counts differ mostly in how
    they were run, and the question is how well the model can use the hardware. Up to MAX_HARDWARE a side, never one
    model on both sides, so two models name one each and a middle one in an odd count is left out.
    """
    best_share: dict[str, float] = {}
    for p in points:
        if p.peak_share is not None and math.isfinite(p.peak_share):
            best_share[p.label] = max(p.peak_share, best_share.get(p.label, -math.inf))
    if len(best_share) < 2:
        return []
    side = min(MAX_HARDWARE, len(best_share) // 2)
    ranked = sorted(best_share.items(), key=lambda ls: (-ls[1], ls[0]))
    best = ranked[:side]
    worst = sorted(ranked[-side:], key=lambda ls: (ls[1], ls[0]))  # worst first
    return [f"Best use of this machine's measured peak: {_shares(best)}; worst: {_shares(worst)}."]


def _shares(named: Sequence[tuple[str, float]]) -> str:
    return ", ".join(f"{label} ({_share(share)})" for label, share in named)


def _indistinguishable(a: Point, b: Point) -> bool:
    """True only when both speeds have a known 95 % interval and the two overlap; an unknown interval proves nothing."""
    return overlap(a.throughput_ci95, b.throughput_ci95) is True


def _ratio_interval(fast: Point, slow: Point) -> tuple[float, float] | None:
    """fast's throughput over slow's as a range, [fast low / slow high, fast high / slow low], when both intervals are
    known and separate; None otherwise. The high end is infinite when slow's interval reaches zero, which Student's t
    allows with two scattered runs."""
    if fast.throughput_ci95 is None or slow.throughput_ci95 is None or _indistinguishable(fast, slow):
        return None
    (fast_low, fast_high), (slow_low, slow_high) = fast.throughput_ci95, slow.throughput_ci95
    return fast_low / slow_high, (fast_high / slow_low if slow_low > 0 else math.inf)


def _unique_labels(points: Iterable[Point]) -> list[Point]:
    """Each label once, in the order given; repeated runs of one model would otherwise be named twice."""
    seen: dict[str, Point] = {}
    for p in points:
        seen.setdefault(p.label, p)
    return list(seen.values())


def _nearest_half(value: float) -> float:
    return math.floor(value * 2 + 0.5) / 2  # half up, not Python's round-half-even


def _describe(p: Point) -> str:
    return f"{p.label} ({_pct(p.top1)}{' unverified' if p.unverified else ''}, {_speed(p.throughput)})"


def _name(p: Point) -> str:
    """A point's label as a sentence names it: saying so when its top-1 is unverified on its engine."""
    return f"{p.label} (top-1 unverified)" if p.unverified else p.label


def _speed(images_per_s: float) -> str:
    return f"{images_per_s:,.0f} img/s" if round(images_per_s, 1) >= 100 else f"{images_per_s:.1f} img/s"


def _times(ratio: float) -> str:
    text = f"{ratio:.1f}×"
    return f"{ratio:.2f}×" if text == "1.0×" else text  # "1.0× faster" would read as no difference at all


def _times_range(low: float, high: float) -> str:
    """The range as "2.9–3.3×", with two decimals where one would show the low end as 1.0 or both ends alike; "at least
    2.9×" when the high end is unbounded."""
    if math.isinf(high):
        return f"at least {_times(low)}"
    digits = 1 if f"{low:.1f}" not in ("1.0", f"{high:.1f}") else 2
    return f"{low:.{digits}f}–{high:.{digits}f}×"


def _share(fraction: float) -> str:
    percent = fraction * 100
    return f"{percent:.0f}%" if round(percent) >= 10 else _pct(percent)


def _pct(value: float) -> str:
    return f"{value:.2f}%" if 0 < abs(value) < 0.05 else f"{value:.1f}%"  # a real difference never shows as 0.0%


def _signed(diff: float) -> str:
    return ("+" if diff > 0 else "-") + _pct(abs(diff))


def _level(value: float) -> str:
    return f"{value:.1f}%" if round(value, 1) == value else f"{value:.2f}%"


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
