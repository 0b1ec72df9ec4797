"""Which configurations meet a deployment budget, on synthetic candidates: inclusive limits, 95 % intervals that
straddle them, the ranking, the nearest misses and the sentences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from shared.analysis.budget import PERCENTILES, Budget, Candidate, Miss, Verdict, answer, judge, recommend

LATENCY = {"mean": 4.0, "p50": 4.0, "p90": 5.0, "p95": 6.0, "p99": 8.0}


def cand(key: int, throughput: float = 200.0, top1: float | None = 80.0, latency: Mapping[str, float] | None = None,
         p99: float | None = None, memory: float | None = 256.0, throughput_ci95: tuple[float, float] | None = None,
         latency_ci95: Mapping[str, Sequence[float] | None] | None = None, label: str | None = None) -> Candidate:
    lat = dict(LATENCY if latency is None else latency)
    if p99 is not None:
        lat["p99"] = p99
    return Candidate(key=key, label=label or f"model{key} (batch 1 × 1 stream)", throughput=throughput,
                     throughput_ci95=throughput_ci95, latency_ms=lat, latency_ci95=latency_ci95, top1=top1,
                     memory_mb=memory)


def keys(verdicts: Sequence[Verdict]) -> list[int]:
    return [v.candidate.key for v in verdicts]


# --- the budget -------------------------------------------------------------------------------------------------------


def test_describe_names_every_limit_and_none() -> None:
    assert Budget(max_latency_ms=10, min_throughput=100, min_top1=80, max_memory_mb=512).describe() == \
        "p99 ≤ 10 ms, ≥ 100 img/s, top-1 ≥ 80 %, memory ≤ 512 MB"
    assert Budget(max_latency_ms=2.5, percentile=50).describe() == "p50 ≤ 2.5 ms"
    assert Budget().describe() == "no constraints"


@pytest.mark.parametrize("percentile", [0, 75, 100, 999, True])
def test_an_invalid_percentile_is_refused_naming_the_allowed_ones(percentile: int) -> None:
    with pytest.raises(ValueError, match="50, 90, 95, 99"):
        Budget(max_latency_ms=10, percentile=percentile)


@pytest.mark.parametrize("field", ["max_latency_ms", "min_throughput", "min_top1", "max_memory_mb"])
@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_a_negative_or_non_finite_limit_is_refused(field: str, bad: float) -> None:
    with pytest.raises(ValueError, match=field):
        Budget(**{field: bad})  # type: ignore[arg-type]


# --- exact boundaries -------------------------------------------------------------------------------------------------


def test_latency_equal_to_the_limit_meets_and_just_above_misses() -> None:
    budget = Budget(max_latency_ms=10)
    assert judge(cand(1, p99=10.0), budget).verdict == "meets"
    over = judge(cand(2, p99=10.0 + 1e-9), budget)
    assert over.verdict == "misses" and list(over.misses_by) == ["max_latency_ms"]
    assert over.misses_by["max_latency_ms"].by == pytest.approx(1e-9, rel=1e-3)


def test_throughput_equal_to_the_floor_meets_and_just_below_misses() -> None:
    budget = Budget(min_throughput=100)
    assert judge(cand(1, throughput=100.0), budget).verdict == "meets"
    under = judge(cand(2, throughput=100.0 - 1e-9), budget)
    assert under.verdict == "misses" and list(under.misses_by) == ["min_throughput"]
    assert under.misses_by["min_throughput"].by == pytest.approx(1e-9, rel=1e-3)


def test_top1_equal_to_the_floor_meets_and_just_below_misses() -> None:
    budget = Budget(min_top1=80)
    assert judge(cand(1, top1=80.0), budget).verdict == "meets"
    under = judge(cand(2, top1=80.0 - 1e-9), budget)
    assert under.verdict == "misses" and list(under.misses_by) == ["min_top1"]


def test_memory_equal_to_the_limit_meets_and_just_above_misses() -> None:
    budget = Budget(max_memory_mb=512)
    assert judge(cand(1, memory=512.0), budget).verdict == "meets"
    over = judge(cand(2, memory=512.0 + 1e-9), budget)
    assert over.verdict == "misses" and list(over.misses_by) == ["max_memory_mb"]


def test_interval_ends_on_the_limit() -> None:
    latency = Budget(max_latency_ms=10)
    # High end on the limit: the whole interval is within it.
    assert judge(cand(1, p99=9.5, latency_ci95={"p99": [9.0, 10.0]}), latency).verdict == "meets"
    # Low end on the limit: part of the interval is over it.
    on_low = judge(cand(2, p99=10.5, latency_ci95={"p99": [10.0, 11.0]}), latency)
    assert on_low.verdict == "may_meet" and on_low.straddles == ["max_latency_ms"] and on_low.misses_by == {}
    assert judge(cand(3, p99=10.5, latency_ci95={"p99": [10.0 + 1e-9, 11.0]}), latency).verdict == "misses"
    floor = Budget(min_throughput=100)
    assert judge(cand(4, throughput=105, throughput_ci95=(100.0, 110.0)), floor).verdict == "meets"
    on_high = judge(cand(5, throughput=95, throughput_ci95=(90.0, 100.0)), floor)
    assert on_high.verdict == "may_meet" and on_high.straddles == ["min_throughput"]
    assert judge(cand(6, throughput=95, throughput_ci95=(90.0, 100.0 - 1e-9)), floor).verdict == "misses"


# --- the percentile ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("percentile", PERCENTILES)
def test_each_percentile_reads_its_own_key(percentile: int) -> None:
    # Every key differs, and the limit sits between this percentile and the next one, so only the right key gives
    # the expected verdicts: p50 meets and p99 does not.
    latency = {"mean": 1.0, "p50": 2.0, "p90": 3.0, "p95": 4.0, "p99": 5.0}
    limit = latency[f"p{percentile}"] + 0.5
    budget = Budget(max_latency_ms=limit, percentile=percentile)
    assert judge(cand(1, latency=latency), budget).verdict == "meets"
    slower = {k: v + 1.0 for k, v in latency.items()}  # this percentile now just over the limit
    missed = judge(cand(2, latency=slower), budget)
    assert missed.verdict == "misses"
    assert missed.misses_by["max_latency_ms"] == Miss(slower[f"p{percentile}"], limit, 0.5, 0.5 / limit)
    assert f"p{percentile} " in missed.reason
    # A candidate measured at this percentile only is judged on it.
    only = judge(cand(3, latency={f"p{percentile}": limit}), budget)
    assert only.verdict == "meets"


def test_p50_can_meet_where_p99_misses() -> None:
    c = cand(1, latency={"mean": 6.0, "p50": 5.0, "p90": 9.0, "p95": 11.0, "p99": 20.0})
    assert judge(c, Budget(max_latency_ms=10, percentile=50)).verdict == "meets"
    assert judge(c, Budget(max_latency_ms=10, percentile=90)).verdict == "meets"
    assert judge(c, Budget(max_latency_ms=10, percentile=95)).verdict == "misses"
    assert judge(c, Budget(max_latency_ms=10, percentile=99)).misses_by["max_latency_ms"].by == pytest.approx(10.0)


def test_a_percentile_not_measured_is_a_miss() -> None:
    v = judge(cand(1, latency={"mean": 3.0, "p50": 3.0}), Budget(max_latency_ms=10, percentile=95))
    assert v.verdict == "misses"
    assert v.misses_by["max_latency_ms"] == Miss(None, 10, None, None)
    assert "p95" in v.reason and "not measured" in v.reason


def test_the_percentiles_interval_is_the_one_read() -> None:
    c = cand(1, latency={"p50": 9.0, "p99": 9.0}, latency_ci95={"p50": [8.0, 9.5], "p99": [8.0, 11.0]})
    assert judge(c, Budget(max_latency_ms=10, percentile=50)).verdict == "meets"
    assert judge(c, Budget(max_latency_ms=10, percentile=99)).verdict == "may_meet"


# --- intervals --------------------------------------------------------------------------------------------------------


def test_an_interval_wholly_inside_or_outside_decides() -> None:
    budget = Budget(max_latency_ms=10, min_throughput=100)
    inside = judge(cand(1, throughput=150, throughput_ci95=(140, 160), p99=8, latency_ci95={"p99": [7.5, 8.5]}), budget)
    assert (inside.verdict, inside.straddles, inside.misses_by) == ("meets", [], {})
    outside = judge(cand(2, throughput=80, throughput_ci95=(70, 90), p99=12, latency_ci95={"p99": [11, 13]}), budget)
    assert outside.verdict == "misses" and outside.straddles == []
    # `by` is measured from the mean, not from the interval's end.
    assert outside.misses_by["max_latency_ms"] == Miss(12, 10, 2, 0.2)
    assert outside.misses_by["min_throughput"] == Miss(80, 100, 20, 0.2)


def test_an_interval_overrides_the_mean_on_either_side() -> None:
    # Mean within the limit, interval over it in part: may meet, not meets.
    assert judge(cand(1, p99=9.0, latency_ci95={"p99": [8.0, 10.5]}), Budget(max_latency_ms=10)).verdict == "may_meet"
    # Mean over the limit, interval reaching into it: may meet, not misses.
    assert judge(cand(2, p99=10.5, latency_ci95={"p99": [9.5, 11.5]}), Budget(max_latency_ms=10)).verdict == "may_meet"
    assert judge(cand(3, throughput=98, throughput_ci95=(90, 106)), Budget(min_throughput=100)).verdict == "may_meet"
    # A key without an interval, or no intervals at all, falls back on the mean.
    assert judge(cand(4, p99=10.5, latency_ci95={"p99": None}), Budget(max_latency_ms=10)).verdict == "misses"
    assert judge(cand(5, p99=10.5, latency_ci95={"p50": [1, 2]}), Budget(max_latency_ms=10)).verdict == "misses"


def test_straddles_rank_after_every_meet_even_when_more_accurate() -> None:
    budget = Budget(max_latency_ms=10, min_throughput=100)
    sure = cand(1, top1=76.0, throughput=300, p99=6.0)
    sure_slower = cand(2, top1=75.0, throughput=150, p99=9.0)
    latency_straddle = cand(3, top1=84.0, p99=9.8, latency_ci95={"p99": [9.1, 10.6]})
    speed_straddle = cand(4, top1=83.0, throughput=95, throughput_ci95=(88, 104))
    r = recommend([latency_straddle, speed_straddle, sure_slower, sure], budget)
    assert keys(r.items) == [1, 2, 3, 4]
    assert [v.verdict for v in r.items] == ["meets", "meets", "may_meet", "may_meet"]
    assert r.items[2].straddles == ["max_latency_ms"] and r.items[3].straddles == ["min_throughput"]
    assert r.misses == [] and r.unranked == []
    text = answer(r, budget, "cpu-1")
    assert "the most accurate model is model1 (batch 1 × 1 stream): top-1 76.0 %, 300 img/s, p99 6 ms" in text
    assert "model3 (batch 1 × 1 stream) is more accurate (top-1 84.0 %) but only may meet it" in text


# --- ordering ---------------------------------------------------------------------------------------------------------


def test_items_are_most_accurate_first() -> None:
    r = recommend([cand(1, top1=78), cand(2, top1=82), cand(3, top1=80)], Budget(max_latency_ms=10))
    assert keys(r.items) == [2, 3, 1]


def test_equal_top1_ranks_faster_first() -> None:
    r = recommend([cand(1, top1=80, throughput=150), cand(2, top1=80, throughput=300), cand(3, top1=81, throughput=10)],
                  Budget(min_throughput=5))
    assert keys(r.items) == [3, 2, 1]


def test_equal_top1_and_throughput_ranks_lower_latency_then_key() -> None:
    budget = Budget(max_latency_ms=10)
    r = recommend([cand(5, p99=7.0), cand(2, p99=9.0), cand(4, p99=7.0), cand(3, p99=6.0)], budget)
    assert keys(r.items) == [3, 4, 5, 2]


def test_the_tie_break_latency_is_the_budgets_percentile() -> None:
    a = cand(1, latency={"p50": 2.0, "p99": 9.0})
    b = cand(2, latency={"p50": 3.0, "p99": 8.0})
    assert keys(recommend([a, b], Budget(max_latency_ms=10, percentile=50)).items) == [1, 2]
    assert keys(recommend([a, b], Budget(max_latency_ms=10, percentile=99)).items) == [2, 1]


# --- unknown accuracy -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("min_top1", [None, 80.0])
def test_unknown_top1_is_unranked_never_ranked_nor_dropped(min_top1: float | None) -> None:
    budget = Budget(max_latency_ms=10, min_top1=min_top1)
    known = cand(1, top1=85.0, throughput=100)
    unknown_fast = cand(2, top1=None, throughput=900)
    unknown_slow = cand(3, top1=None, throughput=400)
    unknown_straddling = cand(4, top1=None, throughput=1000, p99=9.8, latency_ci95={"p99": [9.1, 10.6]})
    unknown_missing = cand(5, top1=None, throughput=2000, p99=12.0)
    r = recommend([unknown_slow, unknown_missing, known, unknown_straddling, unknown_fast], budget)
    assert keys(r.items) == [1]
    assert keys(r.unranked) == [2, 3, 4]  # surely meeting first, then by throughput
    assert all(v.unranked for v in r.unranked)
    assert [v.verdict for v in r.unranked] == ["meets", "meets", "may_meet"]
    v = judge(unknown_fast, budget)
    assert v.unranked and v.verdict == "meets" and v.misses_by == {}
    assert "top-1 is unknown" in v.reason and "PUT /models/" in v.reason
    assert ("top-1 ≥ 80 % cannot be checked" in v.reason) == (min_top1 is not None)
    # One that misses on something else is a miss, not unranked.
    missing = judge(unknown_missing, budget)
    assert missing.verdict == "misses" and not missing.unranked
    assert r.considered == 5


def test_with_only_unknown_accuracy_the_misses_are_listed_too() -> None:
    budget = Budget(max_latency_ms=10, min_top1=80)
    r = recommend([cand(1, top1=None), cand(2, top1=70.0)], budget)
    assert r.items == [] and keys(r.unranked) == [1] and keys(r.misses) == [2]


# --- memory -----------------------------------------------------------------------------------------------------------


def test_unmeasured_memory_misses_a_memory_limit_only() -> None:
    v = judge(cand(1, memory=None), Budget(max_memory_mb=512))
    assert v.verdict == "misses" and v.misses_by == {"max_memory_mb": Miss(None, 512, None, None)}
    assert "memory was not measured" in v.reason and "512 MB" in v.reason
    assert judge(cand(2, memory=None), Budget(max_latency_ms=10)).verdict == "meets"


# --- nearest misses ---------------------------------------------------------------------------------------------------


def test_nothing_qualifying_lists_the_nearest_misses_with_their_distances() -> None:
    budget = Budget(max_latency_ms=10, min_throughput=100, max_memory_mb=500)
    far = cand(1, p99=15.0, throughput=50.0)  # 0.5 + 0.5 = 1.0
    near = cand(2, p99=11.0, throughput=200.0)  # 0.1
    middle = cand(3, p99=8.0, throughput=70.0)  # 0.3
    unmeasured = cand(4, memory=None)  # 1.0, as far as `far`, less accurate
    unmeasured_better = cand(5, memory=None, top1=90.0)  # 1.0, more accurate than `far`
    r = recommend([far, near, middle, unmeasured, unmeasured_better], budget)
    assert r.items == [] and r.unranked == [] and r.considered == 5
    assert keys(r.misses) == [2, 3, 5, 1, 4]
    nearest = r.misses[0].misses_by
    assert list(nearest) == ["max_latency_ms"]
    assert (nearest["max_latency_ms"].value, nearest["max_latency_ms"].limit) == (11.0, 10)
    assert nearest["max_latency_ms"].by == pytest.approx(1.0) and nearest["max_latency_ms"].share == pytest.approx(0.1)
    second = r.misses[1].misses_by
    assert list(second) == ["min_throughput"]
    assert (second["min_throughput"].value, second["min_throughput"].by) == (70.0, 30.0)
    assert second["min_throughput"].share == pytest.approx(0.3)
    far_by = r.misses[3].misses_by
    assert far_by["max_latency_ms"] == Miss(15.0, 10, 5.0, 0.5)
    assert far_by["min_throughput"] == Miss(50.0, 100, 50.0, 0.5)
    assert r.misses[4].misses_by == {"max_memory_mb": Miss(None, 500, None, None)}
    assert "p99 11 ms is 1 ms (10 %) over the 10 ms limit" in r.misses[0].reason
    assert "70 img/s is 30 img/s (30 %) short of 100 img/s" in r.misses[1].reason


def test_misses_limit_caps_the_nearest_misses() -> None:
    candidates = [cand(k, p99=10.0 + k) for k in range(1, 8)]
    budget = Budget(max_latency_ms=10)
    assert keys(recommend(candidates, budget).misses) == [1, 2, 3, 4, 5, 6, 7]
    assert keys(recommend(candidates, budget, misses_limit=3).misses) == [1, 2, 3]
    assert recommend(candidates, budget, misses_limit=0).misses == []
    assert recommend(candidates, budget, misses_limit=3).considered == 7
    with pytest.raises(ValueError):
        recommend(candidates, budget, misses_limit=-1)


def test_equal_distances_rank_known_accuracy_first_then_key() -> None:
    budget = Budget(max_latency_ms=10)
    r = recommend([cand(3, p99=11, top1=None), cand(2, p99=11, top1=75), cand(1, p99=11, top1=75),
                   cand(4, p99=11, top1=79)], budget)
    assert keys(r.misses) == [4, 1, 2, 3]


def test_misses_are_listed_only_when_nothing_ranked_qualifies() -> None:
    r = recommend([cand(1, p99=5.0), cand(2, p99=50.0)], Budget(max_latency_ms=10))
    assert keys(r.items) == [1] and r.misses == [] and r.considered == 2


# --- reasons ----------------------------------------------------------------------------------------------------------


def test_reasons_state_the_numbers() -> None:
    budget = Budget(max_latency_ms=10, min_throughput=100, min_top1=80)
    meets = judge(cand(1, p99=8.214, throughput=412.3, top1=80.43, latency_ci95={"p99": [7.9, 8.6]}), budget)
    assert meets.reason == "p99 8.21 ms ≤ 10 ms (95 % CI 7.9–8.6 ms), 412 img/s ≥ 100 img/s, top-1 80.4 % ≥ 80 %, " \
        "memory 256 MB"
    may = judge(cand(2, p99=9.8, latency_ci95={"p99": [9.1, 10.6]}), budget)
    assert may.reason.startswith("p99 9.8 ms, but its 95 % CI 9.1–10.6 ms straddles the 10 ms limit")
    misses = judge(cand(3, p99=12.3, throughput=90, top1=79.5), budget)
    assert misses.reason == "p99 12.3 ms is 2.3 ms (23 %) over the 10 ms limit; 90 img/s is 10 img/s (10 %) short of " \
        "100 img/s; top-1 79.5 % is 0.5 points short of 80 %"
    unranked = judge(cand(4, top1=None), Budget(max_latency_ms=10))
    assert unranked.reason.startswith("meets p99 ≤ 10 ms") and "top-1 is unknown" in unranked.reason


def test_a_value_close_to_its_limit_is_not_shown_equal_to_it() -> None:
    v = judge(cand(1, p99=10.004, top1=79.95), Budget(max_latency_ms=10, min_top1=80))
    assert "p99 10.004 ms is 0.004 ms" in v.reason and "top-1 79.95 % is 0.05 points short of 80 %" in v.reason


def test_no_constraints_everything_meets_stating_its_figures() -> None:
    budget = Budget()
    v = judge(cand(1, p99=8.21, throughput=57.26, top1=80.4, memory=None), budget)
    assert (v.verdict, v.misses_by, v.straddles, v.unranked) == ("meets", {}, [], False)
    assert v.reason == "p99 8.21 ms, 57.3 img/s, top-1 80.4 %"
    r = recommend([cand(1), cand(2, memory=None, latency={}), cand(3, top1=None)], budget)
    assert keys(r.items) == [1, 2] and keys(r.unranked) == [3] and r.misses == []


# --- answers ----------------------------------------------------------------------------------------------------------


def test_answer_names_the_most_accurate_that_meets() -> None:
    budget = Budget(max_latency_ms=10)
    best = cand(1, label="resnet50 (batch 8 × 2 streams)", top1=80.4, throughput=412.3, p99=8.214)
    r = recommend([best, cand(2, top1=76.0)], budget)
    assert answer(r, budget, "cpu-1") == "Within p99 ≤ 10 ms on cpu-1, the most accurate model is resnet50 " \
        "(batch 8 × 2 streams): top-1 80.4 %, 412 img/s, p99 8.21 ms."


def test_answer_says_when_the_best_only_may_meet() -> None:
    budget = Budget(max_latency_ms=10)
    r = recommend([cand(1, label="vit_small", top1=81.0, p99=9.8, latency_ci95={"p99": [9.1, 10.6]})], budget)
    text = answer(r, budget, "gpu-1")
    assert "vit_small" in text and "may" in text and "straddles the 10 ms p99 limit" in text
    assert "top-1 81.0 %" in text and "p99 9.8 ms" in text


def test_answer_with_only_unknown_accuracy_names_the_fastest() -> None:
    budget = Budget(max_latency_ms=10, min_top1=80)
    r = recommend([cand(1, label="slowpoke", top1=None, throughput=150), cand(2, label="speedy", top1=None,
                                                                              throughput=900, p99=3.25),
                   cand(3, label="inaccurate", top1=60.0)], budget)
    text = answer(r, budget, "cpu-1")
    assert text.startswith("No model of known accuracy meets p99 ≤ 10 ms, top-1 ≥ 80 % on cpu-1")
    assert "2 models of unknown accuracy" in text and "speedy: 900 img/s, p99 3.25 ms" in text
    assert "slowpoke" not in text and "inaccurate" not in text


def test_answer_with_nothing_qualifying_gives_the_nearest_miss_and_why() -> None:
    budget = Budget(max_latency_ms=10, min_throughput=100)
    r = recommend([cand(1, label="far", p99=30.0), cand(2, label="near", p99=12.3, throughput=90)], budget)
    assert answer(r, budget, "cpu-1") == "Nothing measured on cpu-1 meets p99 ≤ 10 ms, ≥ 100 img/s; the nearest miss " \
        "is near: p99 12.3 ms is 2.3 ms (23 %) over the 10 ms limit; 90 img/s is 10 img/s (10 %) short of 100 img/s."


def test_answer_with_nothing_measured() -> None:
    budget = Budget(max_latency_ms=10)
    r = recommend([], budget)
    assert (r.items, r.unranked, r.misses, r.considered) == ([], [], [], 0)
    assert answer(r, budget, "cpu-1") == "Nothing has been measured on cpu-1 yet."


def test_considered_counts_every_candidate() -> None:
    budget = Budget(max_latency_ms=10, min_top1=80)
    candidates = [cand(1), cand(2, p99=20.0), cand(3, top1=None), cand(4, p99=9.5, latency_ci95={"p99": [9, 11]}),
                  cand(5, top1=50.0)]
    r = recommend(iter(candidates), budget)  # any iterable, read once
    assert r.considered == 5
    assert keys(r.items) == [1, 4] and keys(r.unranked) == [3] and r.misses == []
