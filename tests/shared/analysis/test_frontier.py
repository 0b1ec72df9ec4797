"""The speed-accuracy frontier on synthetic points, against its brute-force definition (standard library only)."""

from __future__ import annotations

import itertools
import random
import statistics

import numpy as np
import pytest

from shared.analysis.frontier import Point, _on_frontier, dominated_by, dominates, frontier_certainty, pareto_frontier


def pt(label: str, throughput: float, top1: float, family: str | None = None, key: str | None = None) -> Point:
    return Point(key=key or label, label=label, family=family, throughput=throughput, top1=top1)


def labels(points: list[Point]) -> list[str]:
    return [p.label for p in points]


def brute_frontier(points: list[Point]) -> set[str]:
    """The O(n²) definition: the keys of the points that no other point dominates."""
    return {p.key for p in points if not any(dominates(q, p) for q in points)}


def with_text(sentences: list[str], fragment: str) -> list[str]:
    return [s for s in sentences if fragment in s]


# The CPU study from the seed data, with families.
SEED = [
    pt("mobilenetv3_large_100", 800, 75.8, "mobile"),
    pt("efficientnet_b0", 560, 77.7, "mobile"),
    pt("resnet50", 120, 80.4, "CNN"),
    pt("convnext_small", 40, 83.1, "CNN"),
    pt("levit_256", 260, 81.5, "hybrid"),
    pt("swin_small", 35, 83.3, "transformer"),
    pt("tresnet_l", 55, 81.5, "CNN"),
]


# --- the frontier -------------------------------------------------------------------------------------------------------


def test_frontier_of_a_hand_built_set_by_increasing_throughput() -> None:
    front = pareto_frontier(SEED)
    assert labels(front) == ["swin_small", "convnext_small", "levit_256", "efficientnet_b0", "mobilenetv3_large_100"]
    assert [p.top1 for p in front] == sorted((p.top1 for p in front), reverse=True)


def test_frontier_of_nothing_and_of_one_point() -> None:
    assert pareto_frontier([]) == []
    only = pt("a", 10, 70)
    assert pareto_frontier([only]) == [only]


def test_exact_duplicates_both_stay_in_input_order() -> None:
    a, b = pt("a", 100, 80, key="1"), pt("b", 100, 80, key="2")
    slow = pt("slow", 50, 79)
    assert pareto_frontier([a, slow, b]) == [a, b]
    assert pareto_frontier([b, a, slow]) == [b, a]
    assert dominated_by(a, [a, b]) is None and dominated_by(b, [a, b]) is None


def test_same_top1_slower_is_dominated_and_same_speed_less_accurate_is_dominated() -> None:
    fast, slow = pt("fast", 200, 80), pt("slow", 100, 80)
    assert pareto_frontier([slow, fast]) == [fast]
    sharp, blunt = pt("sharp", 100, 82), pt("blunt", 100, 78)
    assert pareto_frontier([blunt, sharp]) == [sharp]
    assert dominated_by(slow, [fast]) is fast and dominated_by(blunt, [sharp]) is sharp


def test_points_on_a_line() -> None:
    trade_off = [pt(f"m{i}", 100 * (i + 1), 90 - i) for i in range(6)]  # faster and less accurate: all on the frontier
    assert pareto_frontier(trade_off) == trade_off
    better = [pt(f"m{i}", 100 * (i + 1), 70 + i) for i in range(6)]  # faster and more accurate: the last beats all
    assert pareto_frontier(better) == [better[-1]]


def test_unsorted_input_gives_the_same_frontier() -> None:
    shuffled = SEED[:]
    random.Random(7).shuffle(shuffled)
    assert pareto_frontier(shuffled) == pareto_frontier(SEED)


def test_dominated_by_is_the_fastest_dominating_frontier_point() -> None:
    front = pareto_frontier(SEED)
    by_label = {p.label: p for p in SEED}
    assert dominated_by(by_label["resnet50"], front) is by_label["levit_256"]  # efficientnet_b0 is faster but less accurate
    assert dominated_by(by_label["tresnet_l"], front) is by_label["levit_256"]
    assert all(dominated_by(p, front) is None for p in front)
    assert dominated_by(pt("fastest", 10_000, 99), front) is None


def scattered(rng: random.Random, i: int) -> Point:
    # Coarse values so that equal speeds, equal top-1 and exact duplicates all occur.
    return pt(f"m{i}", float(rng.randint(1, 300)), rng.randint(600, 900) / 10, key=str(i))


def along_a_curve(rng: random.Random, i: int) -> Point:
    # Top-1 falls with speed, plus a little noise: hundreds of points end up on the frontier.
    speed = rng.randint(1, 3000)
    return pt(f"m{i}", float(speed), round(90 - speed / 150 + rng.choice([0, 0, 0.1, -0.5]), 1), key=str(i))


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("make", [scattered, along_a_curve])
def test_two_thousand_random_points_match_the_brute_force_definition(seed: int, make) -> None:
    rng = random.Random(seed)
    points = [make(rng, i) for i in range(2000)]
    front = pareto_frontier(points)
    assert {p.key for p in front} == brute_frontier(points)
    assert len(front) == len({p.key for p in front})
    assert all(a.throughput <= b.throughput and a.top1 >= b.top1 for a, b in zip(front, front[1:], strict=False))
    for p in points:
        q = dominated_by(p, front)
        dominators = [f for f in front if dominates(f, p)]
        if not dominators:
            assert q is None
        else:
            assert q in dominators and q.throughput == max(f.throughput for f in dominators)


def test_a_point_refuses_a_throughput_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="throughput"):
        pt("broken", 0, 80)
    with pytest.raises(ValueError, match="top-1"):
        pt("broken", 10, float("nan"))


# --- how sure a frontier place is (more in test_certainty.py) ----------------------------------------------------------


@pytest.mark.parametrize("make", [scattered, along_a_curve])
def test_bootstrap_frontier_with_zero_spread_runs_is_pareto_frontier(make) -> None:
    # Thousands of points with equal speeds, equal top-1 and exact duplicates: every resample is the plain frontier.
    rng = random.Random(11)
    points = [make(rng, i) for i in range(2000)]
    certainty = frontier_certainty(points, {p.key: [p.throughput] * 3 for p in points}, resamples=50)
    assert set(certainty) == {p.key for p in pareto_frontier(points)}
    assert all(share == 1.0 for share in certainty.values())


def test_equal_speeds_stay_equal_whatever_the_number_of_runs() -> None:
    # (0.1 + 0.1 + 0.1) / 3 is not 0.1: summed naively, a tie seen by pareto_frontier would be broken in every resample.
    for x in [0.1, 0.7, 1.1, 2999.9]:
        a, b, c = pt("a", x, 80.0), pt("b", x, 80.0), pt("c", x, 79.0)
        certainty = frontier_certainty([a, b, c], {"a": [x, x], "b": [x, x, x], "c": [x] * 7}, resamples=50)
        assert certainty == {"a": 1.0, "b": 1.0}


def test_each_resamples_frontier_is_pareto_frontier_of_that_resample() -> None:
    # The vectorised rule, resample by resample against pareto_frontier, on coarse speeds so that ties are common.
    # Rows are points, most accurate first; columns are resamples.
    rng = random.Random(12)
    for attempt in range(100):
        n = rng.randint(1, 40)
        spread = 8 if attempt % 2 else 10**9  # ties in top-1, or (almost surely) none: the rule's two paths
        top1 = np.array(sorted((rng.randint(0, spread) for _ in range(n)), reverse=True), dtype=float)
        speeds = np.array([[float(rng.randint(1, 6)) for _ in range(20)] for _ in range(n)])
        on = _on_frontier(speeds, top1)
        for column in range(speeds.shape[1]):
            points = [pt(f"m{i}", speeds[i, column], top1[i], key=str(i)) for i in range(n)]
            assert {str(i) for i in np.flatnonzero(on[:, column])} == {p.key for p in pareto_frontier(points)}
    with pytest.raises(ValueError, match="most accurate first"):
        _on_frontier(np.ones((2, 3)), np.array([70.0, 80.0]))


def test_a_straddling_point_stays_on_the_frontier_as_often_as_enumeration_says() -> None:
    # "fast" is on the frontier only while its resampled mean is strictly above the more accurate rival's 100 img/s
    # (at exactly 100 the rival, same speed and more accurate, pushes it off, as in pareto_frontier).
    own = [90.0, 100.0, 130.0]
    draws = list(itertools.product(own, repeat=3))
    expected = sum(statistics.fmean(d) > 100 for d in draws) / len(draws)
    assert 0 < expected < 1
    fast = pt("fast", statistics.fmean(own), 75.0)
    rival = pt("rival", 100.0, 80.0)
    share = frontier_certainty([fast, rival], {"fast": own, "rival": [100.0]}, resamples=20_000, seed=4)["fast"]
    assert share == pytest.approx(expected, abs=0.015)


def test_single_run_and_missing_frontier_points_have_unknown_certainty() -> None:
    a, b, c = pt("a", 500, 70), pt("b", 200, 80), pt("c", 100, 85)
    certainty = frontier_certainty([a, b, c], {"a": [490.0, 510.0], "b": [200.0]})
    assert certainty["a"] == 1.0 and certainty["b"] is None and certainty["c"] is None
    assert frontier_certainty([], {}) == {}


def test_seeds_are_deterministic_and_differ() -> None:
    fast, rival = pt("fast", 101.0, 75.0), pt("rival", 100.0, 80.0)
    runs = {"fast": [81.0, 96.0, 106.0, 121.0]}
    by_seed = [frontier_certainty([fast, rival], runs, resamples=200, seed=s)["fast"] for s in range(5)]
    assert by_seed == [frontier_certainty([fast, rival], runs, resamples=200, seed=s)["fast"] for s in range(5)]
    assert len(set(by_seed)) > 1


def test_a_frontier_point_whose_runs_no_longer_give_its_mean_does_not_break_certainty() -> None:
    # A run deleted since the result was written: on the means "a" is on the frontier, on its runs never.
    a, b = pt("a", 200, 70), pt("b", 100, 80)
    assert frontier_certainty([a, b], {"a": [50.0, 60.0], "b": [99.0, 101.0]}) == {"a": 0.0, "b": 1.0}
