"""Means with 95 % intervals by Student's t, and the coefficient of variation."""

from __future__ import annotations

import math

import pytest

from shared.analysis.intervals import T_975, cv, mean_ci95, overlap


def t_cdf(x: float, df: int, steps: int = 20000) -> float:
    """Student's t distribution function, by Simpson's rule over its density (an independent check of the table)."""
    c = math.gamma((df + 1) / 2) / (math.sqrt(df * math.pi) * math.gamma(df / 2))
    h = x / steps
    total = sum((1 if i in (0, steps) else 4 if i % 2 else 2) * (1 + (i * h) ** 2 / df) ** (-(df + 1) / 2)
                for i in range(steps + 1))
    return 0.5 + c * total * h / 3


@pytest.mark.parametrize("df", [2, 3, 4, 5, 9, 20, 30])
def test_the_t_table_holds_the_975_quantiles(df: int) -> None:
    assert t_cdf(T_975[df], df) == pytest.approx(0.975, abs=2e-4)


def test_mean_and_interval_of_known_data() -> None:
    mean, (low, high) = mean_ci95([10.0, 12.0, 14.0])  # type: ignore[misc]
    half = 4.303 * 2.0 / math.sqrt(3)
    assert mean == 12.0 and low == pytest.approx(12 - half) and high == pytest.approx(12 + half)
    assert cv([10.0, 12.0, 14.0]) == pytest.approx(2.0 / 12.0)


def test_one_run_has_an_unknown_interval_not_a_zero_one() -> None:
    assert mean_ci95([42.0]) == (42.0, None) and cv([42.0]) is None


def test_overlap() -> None:
    assert overlap((1, 3), (2, 4)) and overlap((1, 3), (3, 5)) and not overlap((1, 2), (3, 4))
    assert overlap(None, (1, 2)) is None
