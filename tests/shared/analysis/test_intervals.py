"""Means with 95 % intervals by Student's t, and the coefficient of variation."""

from __future__ import annotations

import math

import pytest

from shared.analysis.intervals import NORMAL_975, T_975, cv, mean_ci95, overlap, t_975


def t_cdf(x: float, df: int, steps: int = 20000) -> float:
    """Student's t distribution function, by Simpson's rule over its density (an independent check of the table)."""
    c = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)
    h = x / steps
    total = sum((1 if i in (0, steps) else 4 if i % 2 else 2) * (1 + (i * h) ** 2 / df) ** (-(df + 1) / 2)
                for i in range(steps + 1))
    return 0.5 + c * total * h / 3


@pytest.mark.parametrize("df", range(1, 31))
def test_the_t_table_holds_the_975_quantiles(df: int) -> None:
    assert t_cdf(T_975[df], df) == pytest.approx(0.975, abs=2e-4)


def test_the_t_quantile_falls_towards_the_normal() -> None:
    assert sorted(T_975) == list(range(1, 31))
    quantiles = [T_975[df] for df in range(1, 31)]
    assert all(a > b for a, b in zip(quantiles, quantiles[1:], strict=False)) and quantiles[-1] > NORMAL_975
    assert (T_975[1], T_975[2], T_975[10]) == (12.706, 4.303, 2.228)  # textbook values, by hand
    assert t_975(9) == T_975[9]
    beyond = [t_975(df) for df in range(30, 2000)]
    assert all(a > b for a, b in zip(beyond, beyond[1:], strict=False)) and beyond[-1] == pytest.approx(NORMAL_975, abs=2e-3)
    with pytest.raises(ValueError):
        t_975(0)


@pytest.mark.parametrize("df", [31, 40, 60, 120, 500])
def test_beyond_the_table_the_quantile_is_computed(df: int) -> None:
    assert t_cdf(t_975(df), df) == pytest.approx(0.975, abs=2e-4)


def test_mean_and_interval_of_known_data() -> None:
    mean, (low, high) = mean_ci95([10.0, 12.0, 14.0])  # type: ignore[misc]
    half = 4.303 * 2.0 / math.sqrt(3)
    assert mean == 12.0 and low == pytest.approx(12 - half) and high == pytest.approx(12 + half)
    assert cv([10.0, 12.0, 14.0]) == pytest.approx(2.0 / 12.0)


def test_one_run_has_an_unknown_interval_not_a_zero_one() -> None:
    assert mean_ci95([42.0]) == (42.0, None) and cv([42.0]) is None


def test_identical_runs_have_a_known_zero_width_interval() -> None:
    assert mean_ci95([5.0, 5.0, 5.0]) == (5.0, (5.0, 5.0)) and cv([5.0, 5.0]) == 0.0


def test_the_interval_narrows_with_more_runs_of_the_same_spread() -> None:
    widths = []
    for n in range(2, 11):
        _, (low, high) = mean_ci95([100.0 + (-1) ** i * 5 for i in range(n)])  # type: ignore[misc]
        widths.append(high - low)
    assert all(a > b for a, b in zip(widths, widths[1:], strict=False))


def test_overlap() -> None:
    assert overlap((1, 3), (2, 4)) and overlap((1, 3), (3, 5)) and not overlap((1, 2), (3, 4))
    assert overlap(None, (1, 2)) is None and overlap((1, 2), None) is None
    assert overlap((2, 4), (1, 3)) and not overlap((3, 4), (1, 2))  # symmetric
