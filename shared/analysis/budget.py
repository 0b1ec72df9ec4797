"""Which measured configurations meet a deployment budget: a latency percentile, a throughput floor, a top-1 floor
and a memory ceiling, each optional and each inclusive.

A figure with a 95 % interval (from repeats) is judged by the interval: wholly inside the limit it meets, wholly
outside it misses, across the limit it may meet. A figure without one is judged by its value. Every sentence is built
from the numbers given; nothing about particular models is written in here. Standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

PERCENTILES = (50, 90, 95, 99)
GIVE_TOP1 = "give it with PUT /models/{name}"  # how a user supplies a missing top-1 (the API's route), by model
UNVERIFIED = " (published, unverified on this engine)"  # after a top-1 that is the float model's figure

VERDICTS = ("meets", "may_meet")  # the verdicts that qualify, surest first

LATENCY, THROUGHPUT, TOP1, MEMORY = "max_latency_ms", "min_throughput", "min_top1", "max_memory_mb"


@dataclass(frozen=True)
class Budget:
    """What a deployment allows; a limit left None is not checked."""

    max_latency_ms: float | None = None
    percentile: int = 99  # which latency percentile max_latency_ms bounds: key f"p{percentile}"
    min_throughput: float | None = None  # images/s
    min_top1: float | None = None  # ImageNet top-1 %
    max_memory_mb: float | None = None

    def __post_init__(self) -> None:
        if self.percentile not in PERCENTILES or isinstance(self.percentile, bool):
            allowed = ", ".join(str(p) for p in PERCENTILES)
            raise ValueError(f"the latency percentile must be one of {allowed}, got {self.percentile!r}")
        for name in (LATENCY, THROUGHPUT, TOP1, MEMORY):
            limit = getattr(self, name)
            if limit is not None and not (math.isfinite(limit) and limit >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {limit!r}")

    def describe(self) -> str:
        """The limits in a few words, e.g. "p99 ≤ 10 ms, ≥ 100 img/s, top-1 ≥ 80 %"; "no constraints" when none."""
        parts = []
        if self.max_latency_ms is not None:
            parts.append(f"p{self.percentile} ≤ {_limit(self.max_latency_ms)} ms")
        if self.min_throughput is not None:
            parts.append(f"≥ {_limit(self.min_throughput)} img/s")
        if self.min_top1 is not None:
            parts.append(f"top-1 ≥ {_limit(self.min_top1)} %")
        if self.max_memory_mb is not None:
            parts.append(f"memory ≤ {_limit(self.max_memory_mb)} MB")
        return ", ".join(parts) if parts else "no constraints"


@dataclass(frozen=True)
class Candidate:
    """One measured configuration: means over its repeats, with their 95 % intervals where there were repeats."""

    key: int  # the result id
    label: str  # e.g. "resnet50 (batch 8 × 2 streams)", used in sentences
    throughput: float  # images/s, mean over repeats
    throughput_ci95: tuple[float, float] | None  # None: one run, interval unknown
    latency_ms: Mapping[str, float]  # means; keys like "mean", "p50", "p90", "p95", "p99"
    latency_ci95: Mapping[str, Sequence[float] | None] | None  # per key, [low, high] or None
    top1: float | None  # None: accuracy unknown
    memory_mb: float | None  # None: not measured
    model: str = "{name}"  # the model's catalog name (arch or arch.tag), for the PUT /models/... hint
    # Why its top-1 is left unknown although a figure exists (an int8 engine calibrated on random inputs: the published
    # figure is the float model's), and how to rank it anyway; None: unknown because none was given.
    withheld: str | None = None
    unverified: bool = False  # its top-1 is the published float figure, ranked on request: every sentence says so

    @property
    def give_top1(self) -> str:
        return self.withheld or GIVE_TOP1.format(name=self.model)

    @property
    def rank_hint(self) -> str:
        return self.withheld or f"give its top-1 with PUT /models/{self.model} to rank it"


@dataclass(frozen=True)
class Miss:
    """How a candidate fails one constraint."""

    value: float | None  # the candidate's figure (None when not measured)
    limit: float
    by: float | None  # how far outside the limit, in the constraint's unit, > 0 (None when not measured)
    share: float | None  # by / limit (None when not measured)


@dataclass(frozen=True)
class Verdict:
    """A candidate judged against a budget."""

    candidate: Candidate
    verdict: str  # "meets", "may_meet" or "misses"
    unranked: bool  # qualifies on every constraint it can be judged on, but its top-1 is unknown
    misses_by: dict[str, Miss]  # constraint name -> Miss, only the constraints it fails
    straddles: list[str]  # constraint names whose 95 % interval straddles the limit
    explain: Callable[[], str] = field(repr=False, compare=False)  # writes `reason` when it is first read

    @cached_property
    def reason(self) -> str:
        """One line, plain English, with the numbers."""
        return self.explain()


@dataclass(frozen=True)
class Recommendation:
    """The candidates that qualify, best first, or else the nearest misses."""

    items: list[Verdict]  # qualifying with known top-1: meets first, then top-1, throughput desc, latency asc, key
    unranked: list[Verdict]  # qualifying, top-1 unknown: meets first, then throughput desc, key
    misses: list[Verdict]  # only when items is empty: the nearest misses, nearest first
    considered: int  # every candidate judged


@dataclass(frozen=True)
class _Check:
    """One constraint applied to one candidate. outcome: "meets", "straddles", "misses", "free" (no limit given) or
    "unknown" (a top-1 limit and no top-1). figure: the plain figure ("" when there is none to state); text: the figure
    as judged, with the limit. Both are written only when read: /recommend judges every configuration but explains
    only those it lists."""

    name: str
    outcome: str
    render: Callable[[], tuple[str, str]] = field(repr=False, compare=False)  # (figure, text)
    miss: Miss | None = None

    @cached_property
    def _written(self) -> tuple[str, str]:
        return self.render()

    @property
    def figure(self) -> str:
        return self._written[0]

    @property
    def text(self) -> str:
        return self._written[1]


def judge(candidate: Candidate, budget: Budget) -> Verdict:
    """The candidate's verdict on every constraint the budget sets, with a one-line reason."""
    checks = [_latency(candidate, budget), _throughput(candidate, budget), _top1(candidate, budget),
              _memory(candidate, budget)]
    misses_by = {c.name: c.miss for c in checks if c.miss is not None}
    straddles = [c.name for c in checks if c.outcome == "straddles"]
    verdict = "misses" if misses_by else "may_meet" if straddles else "meets"
    unranked = verdict != "misses" and candidate.top1 is None
    return Verdict(candidate, verdict, unranked, misses_by, straddles,
                   lambda: _reason(checks, verdict, unranked, budget, candidate.give_top1))


def recommend(candidates: Iterable[Candidate], budget: Budget, misses_limit: int = 10) -> Recommendation:
    """Judge every candidate: those that qualify with a known top-1 ranked most accurate first, those that qualify
    without one apart, fastest first; and, when none of the first kind qualifies, the `misses_limit` nearest misses."""
    if misses_limit < 0:
        raise ValueError(f"misses_limit must be >= 0, got {misses_limit}")
    verdicts = [judge(c, budget) for c in candidates]
    qualifying = [v for v in verdicts if v.verdict in VERDICTS]
    items = sorted((v for v in qualifying if not v.unranked), key=lambda v: (
        VERDICTS.index(v.verdict), -_known(v.candidate.top1), -v.candidate.throughput,
        _latency_of(v.candidate, budget), v.candidate.key))
    unranked = sorted((v for v in qualifying if v.unranked),
                      key=lambda v: (VERDICTS.index(v.verdict), -v.candidate.throughput, v.candidate.key))
    misses: list[Verdict] = []
    if not items:
        misses = sorted((v for v in verdicts if v.verdict == "misses"), key=_nearness)[:misses_limit]
    return Recommendation(items, unranked, misses, len(verdicts))


def answer(recommendation: Recommendation, budget: Budget, where: str) -> str:
    """One sentence a user acts on: the most accurate model within the budget on `where` (e.g. a machine's name),
    else the fastest of unknown accuracy that fits, else the nearest miss and why it misses."""
    limits = budget.describe()
    within = f"With no constraints on {where}" if limits == "no constraints" else f"Within {limits} on {where}"
    if recommendation.items:
        best = recommendation.items[0]
        figures = _headline(best.candidate, budget)
        if best.verdict == "may_meet":
            return (f"{within}, no model surely qualifies; the most accurate that may is {best.candidate.label}: "
                    f"{figures}, but its 95 % interval straddles the {_straddled(best, budget)}.")
        rival = next((v for v in recommendation.items if v.verdict == "may_meet"
                      and _known(v.candidate.top1) > _known(best.candidate.top1)), None)
        more = ""
        if rival is not None:
            more = (f"; {rival.candidate.label} is more accurate (top-1 {_top1_text(_known(rival.candidate.top1))} %)"
                    f" but only may meet it, its 95 % interval straddling the {_straddled(rival, budget)}")
        return f"{within}, the most accurate model is {best.candidate.label}: {figures}{more}."
    if recommendation.unranked:
        return _unranked_answer(recommendation.unranked, budget, where)
    if recommendation.considered == 0:
        return f"Nothing has been measured on {where} yet."
    if not recommendation.misses:
        return f"Nothing measured on {where} meets {limits}."
    nearest = recommendation.misses[0]
    return f"Nothing measured on {where} meets {limits}; the nearest miss is {nearest.candidate.label}: " \
           f"{nearest.reason}."


# --- the four constraints -----------------------------------------------------------------------------------------


def _latency(c: Candidate, budget: Budget) -> _Check:
    key = f"p{budget.percentile}"
    value = c.latency_ms.get(key)
    limit = budget.max_latency_ms
    interval = _interval(c.latency_ci95, key)
    figure = lambda: "" if value is None else f"{key} {_num(value)} ms"  # noqa: E731
    if limit is None:
        return _Check(LATENCY, "free", lambda: (figure(), figure()))
    if value is None:
        text = f"its {key} latency was not measured, so the {_limit(limit)} ms limit cannot be checked"
        return _Check(LATENCY, "misses", lambda: ("", text), Miss(None, limit, None, None))
    if interval is not None:
        outcome = "meets" if interval[1] <= limit else "misses" if interval[0] > limit else "straddles"
    else:
        outcome = "meets" if value <= limit else "misses"
    miss = _miss(value, limit, value - limit) if outcome == "misses" else None

    def write() -> tuple[str, str]:
        shown, limit_text = _pair(value, limit)
        ci = "" if interval is None else f" (95 % CI {_span(interval, limit)} ms)"
        if outcome == "meets":
            return figure(), f"{key} {shown} ms ≤ {limit_text} ms{ci}"
        if outcome == "straddles":
            return figure(), (f"{key} {shown} ms, but its 95 % CI {_span(_known_interval(interval), limit)} ms straddles "
                              f"the {limit_text} ms limit")
        return figure(), (f"{key} {shown} ms{ci} is {_num(value - limit)} ms{_share(miss)} over the "
                          f"{limit_text} ms limit")
    return _Check(LATENCY, outcome, write, miss)


def _throughput(c: Candidate, budget: Budget) -> _Check:
    value, limit, interval = c.throughput, budget.min_throughput, c.throughput_ci95
    figure = lambda: f"{_num(value)} img/s"  # noqa: E731
    if limit is None:
        return _Check(THROUGHPUT, "free", lambda: (figure(), figure()))
    if interval is not None:
        outcome = "meets" if interval[0] >= limit else "misses" if interval[1] < limit else "straddles"
    else:
        outcome = "meets" if value >= limit else "misses"
    miss = _miss(value, limit, limit - value) if outcome == "misses" else None

    def write() -> tuple[str, str]:
        shown, limit_text = _pair(value, limit)
        ci = "" if interval is None else f" (95 % CI {_span(interval, limit)} img/s)"
        if outcome == "meets":
            return figure(), f"{shown} img/s ≥ {limit_text} img/s{ci}"
        if outcome == "straddles":
            return figure(), (f"{shown} img/s, but its 95 % CI {_span(_known_interval(interval), limit)} img/s "
                              f"straddles the {limit_text} img/s floor")
        return figure(), (f"{shown} img/s{ci} is {_num(limit - value)} img/s{_share(miss)} short of "
                          f"{limit_text} img/s")
    return _Check(THROUGHPUT, outcome, write, miss)


def _top1(c: Candidate, budget: Budget) -> _Check:
    value, limit = c.top1, budget.min_top1
    if value is None:
        return _Check(TOP1, "free" if limit is None else "unknown", lambda: ("", "top-1 unknown"))
    note = UNVERIFIED if c.unverified else ""
    figure = lambda: f"top-1 {_top1_text(value)} %{note}"  # noqa: E731
    if limit is None:
        return _Check(TOP1, "free", lambda: (figure(), figure()))
    if value >= limit:
        return _Check(TOP1, "meets", lambda: (figure(), f"top-1 {_top1_text(value, limit)} %{note} ≥ {_limit(limit)} %"))
    miss = _miss(value, limit, limit - value)

    def write() -> tuple[str, str]:
        points = "point" if _num(limit - value) == "1" else "points"
        return figure(), (f"top-1 {_top1_text(value, limit)} %{note} is {_num(limit - value)} {points} short of "
                          f"{_limit(limit)} %")
    return _Check(TOP1, "misses", write, miss)


def _memory(c: Candidate, budget: Budget) -> _Check:
    value, limit = c.memory_mb, budget.max_memory_mb
    figure = lambda: "" if value is None else f"memory {_num(value)} MB"  # noqa: E731
    if limit is None:
        return _Check(MEMORY, "free", lambda: (figure(), figure()))
    if value is None:
        text = f"its memory was not measured, so the {_limit(limit)} MB limit cannot be checked"
        return _Check(MEMORY, "misses", lambda: ("", text), Miss(None, limit, None, None))
    if value <= limit:
        return _Check(MEMORY, "meets", lambda: (figure(), "memory {} MB ≤ {} MB".format(*_pair(value, limit))))
    miss = _miss(value, limit, value - limit)

    def write() -> tuple[str, str]:
        shown, limit_text = _pair(value, limit)
        return figure(), f"memory {shown} MB is {_num(value - limit)} MB{_share(miss)} over the {limit_text} MB limit"
    return _Check(MEMORY, "misses", write, miss)


def _miss(value: float, limit: float, by: float) -> Miss:
    # A limit of 0 makes any excess infinitely far in proportion.
    return Miss(value, limit, by, by / limit if limit > 0 else math.inf)


def _interval(intervals: Mapping[str, Sequence[float] | None] | None, key: str) -> tuple[float, float] | None:
    found = None if intervals is None else intervals.get(key)
    if found is None:
        return None
    low, high = found
    return low, high


def _known_interval(interval: tuple[float, float] | None) -> tuple[float, float]:
    if interval is None:  # a straddle needs an interval: this is never reached
        raise ValueError("no interval to straddle the limit")
    return interval


# --- reasons and answers ------------------------------------------------------------------------------------------


def _reason(checks: Sequence[_Check], verdict: str, unranked: bool, budget: Budget, give_top1: str) -> str:
    if verdict == "misses":
        return "; ".join(c.text for c in checks if c.outcome == "misses")
    if unranked:
        judged = replace(budget, min_top1=None).describe()
        against = "" if budget.min_top1 is None else f", so top-1 ≥ {_limit(budget.min_top1)} % cannot be checked"
        unknown = f"its top-1 is unknown{against} ({give_top1})"
        if verdict == "may_meet":
            straddling = "; ".join(c.text for c in checks if c.outcome == "straddles")
            return f"may meet {judged}: {straddling}; and {unknown}"
        figures = ", ".join(c.figure for c in checks if c.figure)
        if judged == "no constraints":
            return f"{figures}, but {unknown}" if figures else unknown
        return f"meets {judged} ({figures}), but {unknown}"
    rest = ", ".join(c.text for c in checks if c.outcome in ("meets", "free") and c.text)
    if verdict == "may_meet":
        straddling = "; ".join(c.text for c in checks if c.outcome == "straddles")
        return f"{straddling}; {rest}" if rest else straddling
    return rest


def _headline(c: Candidate, budget: Budget) -> str:
    """top-1, throughput and the budget's latency percentile, as an answer names them."""
    key = f"p{budget.percentile}"
    parts = [f"top-1 {_top1_text(_known(c.top1))} %{UNVERIFIED if c.unverified else ''}", f"{_num(c.throughput)} img/s"]
    if key in c.latency_ms:
        parts.append(f"{key} {_num(c.latency_ms[key])} ms")
    return ", ".join(parts)


def _straddled(v: Verdict, budget: Budget) -> str:
    names = {LATENCY: f"{_limit(budget.max_latency_ms or 0)} ms p{budget.percentile} limit",
             THROUGHPUT: f"{_limit(budget.min_throughput or 0)} img/s floor"}
    return " and the ".join(names[n] for n in v.straddles)


def _unranked_answer(unranked: Sequence[Verdict], budget: Budget, where: str) -> str:
    limits = budget.describe()
    sure = sum(v.verdict == "meets" for v in unranked)
    count = len(unranked)
    models = f"{count} model{'s' if count != 1 else ''}"
    if sure == count:
        fit = f"{models} of unknown accuracy {'does' if count == 1 else 'do'}"
    elif sure == 0:
        fit = f"{models} of unknown accuracy may"
    else:
        fit = f"{sure} of unknown accuracy {'does' if sure == 1 else 'do'} and {count - sure} more may"
    first = unranked[0]
    fastest = max(unranked, key=lambda v: v.candidate.throughput)
    surely = fastest.candidate.throughput > first.candidate.throughput  # a faster one only may qualify
    which = "the fastest that surely qualifies" if surely else "the fastest"
    key = f"p{budget.percentile}"
    figures = [f"{_num(first.candidate.throughput)} img/s"]
    if key in first.candidate.latency_ms:
        figures.append(f"{key} {_num(first.candidate.latency_ms[key])} ms")
    if limits == "no constraints":
        opening = f"No model measured on {where} has a known top-1 ({models})"
    else:
        aside = "" if budget.min_top1 is None else " (top-1 aside)"
        opening = f"No model of known accuracy meets {limits} on {where}, but {fit}{aside}"
    return f"{opening}; {which} is {first.candidate.label}: {', '.join(figures)} ({first.candidate.rank_hint})."


def _nearness(v: Verdict) -> tuple[float, float, int]:
    """Sort key of a miss: the summed shares by which it misses (an unmeasured figure counts as 1), then top-1 desc
    with unknown last, then key."""
    distance = sum(1.0 if m.share is None else m.share for m in v.misses_by.values())
    top1 = v.candidate.top1
    return distance, -top1 if top1 is not None else math.inf, v.candidate.key


def _latency_of(c: Candidate, budget: Budget) -> float:
    return c.latency_ms.get(f"p{budget.percentile}", math.inf)


def _known(value: float | None) -> float:
    return -math.inf if value is None else value


# --- numbers ------------------------------------------------------------------------------------------------------


def _num(x: float, digits: int = 3) -> str:
    """x to `digits` significant figures, but always in whole units from 10**digits up, never in exponent form, and
    without trailing zeros: 8.214 -> "8.21", 9.8 -> "9.8", 412.4 -> "412", 1234.5 -> "1,234"."""
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _limit(x: float) -> str:
    """A limit as the user is likely to have typed it: 10 -> "10", 0.25 -> "0.25"."""
    return _num(x, 6)


def _pair(value: float, limit: float) -> tuple[str, str]:
    """The value and the limit as text, the value given more figures where three would show it equal to a limit it
    is not equal to (10.004 against 10 reads "10.004", not "10")."""
    for digits in range(3, 16):
        shown, limit_text = _num(value, digits), _num(limit, max(digits, 6))
        if shown != limit_text or value == limit:
            return shown, limit_text
    return _num(value, 15), _num(limit, 15)


def _span(interval: tuple[float, float], limit: float) -> str:
    return f"{_pair(interval[0], limit)[0]}–{_pair(interval[1], limit)[0]}"


def _share(miss: Miss | None) -> str:
    """" (23 %)": the miss as a share of its limit; nothing against a limit of 0."""
    if miss is None or miss.share is None or math.isinf(miss.share):
        return ""
    return f" ({_num(miss.share * 100, 2)} %)"


def _top1_text(value: float, limit: float | None = None) -> str:
    """Top-1 to one decimal, more where one would show it equal to a limit it is not equal to."""
    for decimals in range(1, 12):
        text = f"{value:.{decimals}f}"
        if limit is None or value == limit or text != f"{limit:.{decimals}f}":
            return text
    return repr(value)
