"""How sure a frontier place is: bootstrap resamples of each point's runs, against the plain frontier."""

from __future__ import annotations

import random

from shared.analysis.frontier import Point, frontier_certainty, pareto_frontier
from shared.analysis.intervals import mean_ci95


def pt(key: str, runs: list[float], top1: float) -> tuple[Point, list[float]]:
    mean, interval = mean_ci95(runs)
    return Point(key, key, None, mean, top1, throughput_ci95=interval), runs


def test_with_no_spread_every_frontier_point_is_certain_and_the_frontier_is_pareto_frontiers() -> None:
    rng = random.Random(3)
    for _ in range(200):
        points = [Point(str(i), f"m{i}", None, float(rng.choice([10, 20, 30, rng.uniform(1, 50)])),
                        float(rng.choice([70, 75, rng.uniform(60, 90)]))) for i in range(rng.randint(1, 12))]
        runs = {p.key: [p.throughput] * 3 for p in points}
        certainty = frontier_certainty(points, runs, resamples=20)
        assert set(certainty) == {p.key for p in pareto_frontier(points)}  # ties handled as pareto_frontier does
        assert set(certainty.values()) == {1.0}


def test_a_point_whose_runs_straddle_a_more_accurate_rival_is_uncertain() -> None:
    # "fast" is on the frontier only while it is faster than "rival" (more accurate, fixed at 100 img/s). Its two
    # runs are 92 and 110 (mean 101): resampled means are 92, 101 or 110 with chances 1/4, 1/2, 1/4, so it
    # stays on the frontier in 3/4 of resamples.
    fast, fast_runs = pt("fast", [92.0, 110.0], 75.0)
    rival = Point("rival", "rival", None, 100.0, 80.0)
    certainty = frontier_certainty([fast, rival], {"fast": fast_runs}, resamples=4000, seed=1)
    assert abs(certainty["fast"] - 0.75) < 0.03
    assert certainty["rival"] is None  # one run: its own spread is unknown


def test_clearly_separated_points_are_certain_and_the_answer_is_deterministic() -> None:
    rng = random.Random(5)
    a, a_runs = pt("a", [rng.gauss(500, 10) for _ in range(3)], 75.0)
    b, b_runs = pt("b", [rng.gauss(200, 5) for _ in range(3)], 80.0)
    c, c_runs = pt("c", [rng.gauss(150, 5) for _ in range(3)], 79.0)  # dominated by b
    runs = {"a": a_runs, "b": b_runs, "c": c_runs}
    certainty = frontier_certainty([a, b, c], runs)
    assert certainty["a"] >= 0.95 and certainty["b"] >= 0.95 and "c" not in certainty
    assert frontier_certainty([a, b, c], runs, seed=7) == frontier_certainty([a, b, c], runs, seed=7)


def test_a_thousand_points_with_three_runs_each() -> None:
    # How fast this is belongs in a benchmark, not a test: here only that a chart this large gets an answer.
    rng = random.Random(2)
    points, runs = [], {}
    for i in range(1000):
        speed = rng.uniform(5, 3000)
        point, own = pt(str(i), [speed * rng.gauss(1, 0.05) for _ in range(3)], rng.uniform(60, 90))
        points.append(point)
        runs[point.key] = own
    certainty = frontier_certainty(points, runs)
    assert set(certainty) == {p.key for p in pareto_frontier(points)}
    assert all(0.0 <= share <= 1.0 for share in certainty.values() if share is not None)
