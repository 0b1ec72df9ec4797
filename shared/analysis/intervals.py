"""Means with 95 % confidence intervals (Student's t) and coefficients of variation over a few repeats.

Standard library only: the worker combines its repeats with it, and the chart reads what it stored.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

# Two-sided 95 % quantiles of Student's t, t(0.975, df), for df 1..30 (any statistics table; a test recomputes
# them by integrating the t density). Above 30 degrees of freedom t_975 expands around the normal's quantile.
T_975: dict[int, float] = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
    11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086,
    21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042,
}
NORMAL_975 = 1.96


def t_975(df: int) -> float:
    """t(0.975, df): the table up to 30, then the Cornish-Fisher expansion around the normal's 1.96 (its first two
    terms are within 0.001 of the true quantile from df 31 on, where 1.96 alone would be 4 % short)."""
    if df < 1:
        raise ValueError(f"a t quantile needs at least one degree of freedom, got {df}")
    if df in T_975:
        return T_975[df]
    z = NORMAL_975
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def mean_ci95(values: Sequence[float]) -> tuple[float, tuple[float, float] | None]:
    """The mean and its 95 % interval, mean ± t·s/√n; the interval is None (unknown) for fewer than two values."""
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, None
    half = t_975(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return mean, (mean - half, mean + half)


def cv(values: Sequence[float]) -> float | None:
    """Sample standard deviation over the mean; None for fewer than two values (or a zero mean)."""
    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    return statistics.stdev(values) / mean if mean else None


def overlap(a: tuple[float, float] | None, b: tuple[float, float] | None) -> bool | None:
    """Whether two intervals share any value; None when either is unknown."""
    if a is None or b is None:
        return None
    return a[0] <= b[1] and b[0] <= a[1]
