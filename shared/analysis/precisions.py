"""One model at several precisions on one chart: the line joining its points, and what each precision buys.

A model's point at a precision is its fastest configuration there (as the chart's insights compare models). Speed-ups
are against the default: the precision the engine chose itself when asked `auto` (bf16 on a CPU with AMX or
AVX512-BF16, fp32 on others, fp16 on a GPU). Every name and number comes from the points given. Standard library only.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

ORDER = ("fp32", "bf16", "fp16", "int8")  # the order a model's line visits its precisions: widest to narrowest
MAX_NAMED = 4  # models named per precision in a sentence


@dataclass(frozen=True)
class Ran:
    """One configuration's point: which model (its label without the precision), what ran, how fast."""

    key: int  # the result id
    model: str
    precision: str  # asked (auto, fp32, ..., int8)
    precision_used: str
    throughput: float
    input_size: int = 0  # one model at two input sizes is two models here: their speeds are not comparable


@dataclass(frozen=True)
class Line:
    model: str
    points: list[int]  # result ids, one per precision, in ORDER
    precisions: list[str]  # the precision of each point
    speedups: dict[str, float]  # precision -> its throughput over the default's (absent when no default was measured)


def default_precision(points: Iterable[Ran]) -> str | None:
    """What `auto` ran as on this chart's machine and engine (the most common answer, should two disagree)."""
    counts: dict[str, int] = defaultdict(int)
    for point in points:
        if point.precision == "auto":
            counts[point.precision_used] += 1
    return max(counts, key=lambda p: (counts[p], p)) if counts else None


def lines(points: Sequence[Ran]) -> list[Line]:
    """Each model measured at two or more precisions: its fastest point per precision, joined in ORDER."""
    default = default_precision(points)
    best: dict[tuple[str, int], dict[str, Ran]] = defaultdict(dict)
    for point in points:
        held = best[(point.model, point.input_size)].get(point.precision_used)
        if held is None or point.throughput > held.throughput:
            best[(point.model, point.input_size)][point.precision_used] = point
    sizes: dict[str, set[int]] = defaultdict(set)
    for model, size in best:
        sizes[model].add(size)
    found = []
    for (model, size), by_precision in sorted(best.items()):
        if len(by_precision) < 2:
            continue
        ordered = [by_precision[p] for p in sorted(by_precision, key=_rank)]
        base = by_precision.get(default) if default else None
        speedups = {p.precision_used: p.throughput / base.throughput for p in ordered
                    if base is not None and p is not base and base.throughput > 0}
        name = f"{model} ({size}px)" if len(sizes[model]) > 1 else model
        found.append(Line(name, [p.key for p in ordered], [p.precision_used for p in ordered], speedups))
    return found


def gains_insights(found: Sequence[Line], default: str | None) -> list[str]:
    """One sentence per precision, e.g. "INT8: 4.9× resnet50, 2.1× levit_256 over the default (bf16)." — largest
    first, at most MAX_NAMED models named, and the median of all when more were measured."""
    if default is None:
        return []
    by_precision: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for line in found:
        for precision, ratio in line.speedups.items():
            by_precision[precision].append((ratio, line.model))
    sentences = []
    for precision in sorted(by_precision, key=_rank, reverse=True):
        ranked = sorted(by_precision[precision], key=lambda item: (-item[0], item[1]))
        named = ", ".join(f"{_ratio(ratio)} {model}" for ratio, model in ranked[:MAX_NAMED])
        more = ""
        if len(ranked) > MAX_NAMED:
            middle = statistics.median(ratio for ratio, _ in ranked)
            more = f" and {len(ranked) - MAX_NAMED} more (median of the {len(ranked)}: {_ratio(middle)})"
        sentences.append(f"{precision.upper()}: {named}{more} over the default ({default}).")
    return sentences


def _rank(precision: str) -> int:
    return ORDER.index(precision) if precision in ORDER else len(ORDER)


def _ratio(value: float) -> str:
    return f"{value:.2f}×" if value < 1.995 else f"{value:.1f}×"
