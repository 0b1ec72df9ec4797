"""Throughput against p99 over one model's sweep, on synthetic configurations (standard library only)."""

from __future__ import annotations

import math
import random

import pytest

from shared.analysis.curves import Config, curve, curve_insight, dominates, knee


def cfg(key: int, p99_ms: float, throughput: float, batch_size: int | None = None, streams: int = 1) -> Config:
    return Config(key=key, batch_size=batch_size or key, streams=streams, throughput=throughput, p99_ms=p99_ms)


def keys(configs: list[Config]) -> list[int]:
    return [c.key for c in configs]


# A concave front, p99 1, 2, 4, 8, 16 ms against 10, 60, 90, 95, 97 img/s. Over the front's own ranges (p99 1-16,
# throughput 10-97) throughput share − p99 share is, point by point:
#   p99 1:  0/87 - 0/15  = 0
#   p99 2:  50/87 - 1/15 = 0.575 - 0.067 = 0.508
#   p99 4:  80/87 - 3/15 = 0.920 - 0.200 = 0.720   <- the knee
#   p99 8:  85/87 - 7/15 = 0.977 - 0.467 = 0.510
#   p99 16: 87/87 - 15/15 = 0
# The knee gives 90 / 97 = 92.8 % -> 93 % of the peak throughput at 4 / 16 = 25 % of the peak's p99.
CONCAVE = [
    Config(key=1, batch_size=1, streams=1, throughput=10, p99_ms=1),
    Config(key=2, batch_size=2, streams=1, throughput=60, p99_ms=2),
    Config(key=3, batch_size=4, streams=2, throughput=90, p99_ms=4),
    Config(key=4, batch_size=8, streams=2, throughput=95, p99_ms=8),
    Config(key=5, batch_size=16, streams=4, throughput=97, p99_ms=16),
]
DOMINATED = [
    Config(key=6, batch_size=4, streams=1, throughput=55, p99_ms=3),  # beaten by key 2: faster at a lower p99
    Config(key=7, batch_size=16, streams=2, throughput=97, p99_ms=20),  # same peak as key 5, higher p99
    Config(key=8, batch_size=8, streams=1, throughput=80, p99_ms=4),  # same p99 as the knee, slower
]


# --- the label ----------------------------------------------------------------------------------------------------------


def test_label_is_singular_for_one_stream_and_plural_otherwise() -> None:
    assert Config(key=1, batch_size=8, streams=2, throughput=1, p99_ms=1).label == "batch 8 × 2 streams"
    assert Config(key=1, batch_size=8, streams=1, throughput=1, p99_ms=1).label == "batch 8 × 1 stream"  # GPU too
    assert Config(key=1, batch_size=1, streams=1, throughput=1, p99_ms=1).label == "batch 1 × 1 stream"


@pytest.mark.parametrize("throughput, p99_ms", [(0, 1), (-1, 1), (math.nan, 1), (math.inf, 1), (1, 0), (1, math.nan)])
def test_a_config_refuses_figures_that_are_not_finite_and_positive(throughput: float, p99_ms: float) -> None:
    with pytest.raises(ValueError, match="batch 4 × 2 streams"):
        Config(key=1, batch_size=4, streams=2, throughput=throughput, p99_ms=p99_ms)


# --- the front ----------------------------------------------------------------------------------------------------------


def test_the_front_drops_dominated_configs_and_runs_by_p99_ascending() -> None:
    c = curve(list(reversed(DOMINATED + CONCAVE)))
    assert keys(c.front) == [1, 2, 3, 4, 5]
    assert [x.throughput for x in c.front] == sorted(x.throughput for x in c.front)
    assert keys(c.configs) == [1, 2, 6, 3, 8, 4, 5, 7]  # all of them, p99 ascending; key 3 before 8 (faster at 4 ms)


def test_identical_configs_both_stay_on_the_front_by_key() -> None:
    # Neither of two configs with the same throughput and p99 dominates the other, so both stay, the lower key first.
    a, b = cfg(9, 4, 90), cfg(3, 4, 90)
    c = curve([cfg(1, 1, 10), a, cfg(5, 16, 97), b])
    assert keys(c.front) == [1, 3, 9, 5]


def test_equal_p99_keeps_only_the_faster_and_equal_throughput_only_the_quicker() -> None:
    c = curve([cfg(1, 5, 50), cfg(2, 5, 40), cfg(3, 9, 80), cfg(4, 7, 80)])
    assert keys(c.front) == [1, 4]


def test_the_front_matches_its_brute_force_definition_on_random_sweeps_with_ties() -> None:
    rng = random.Random(7)
    for _ in range(300):
        n = rng.randint(1, 12)
        configs = [cfg(k, rng.choice([1, 2, 3, 5, 8]), rng.choice([10, 20, 30, 40])) for k in range(1, n + 1)]
        front = curve(configs).front
        assert set(keys(front)) == {c.key for c in configs if not any(dominates(q, c) for q in configs)}
        assert [(x.p99_ms, x.key) for x in front] == sorted((x.p99_ms, x.key) for x in front)
        assert all(a.throughput <= b.throughput for a, b in zip(front, front[1:], strict=False))


def test_a_curve_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError):
        curve([])


# --- the best of each kind ----------------------------------------------------------------------------------------------


def test_best_throughput_breaks_ties_by_lower_p99_then_lower_key() -> None:
    assert curve(CONCAVE + DOMINATED).best_throughput.key == 5  # 97 img/s twice: 16 ms beats 20 ms
    assert curve([cfg(2, 20, 97), cfg(5, 16, 97), cfg(1, 1, 10)]).best_throughput.key == 5  # p99 before key
    c = curve([cfg(4, 16, 97), cfg(2, 16, 97), cfg(1, 1, 10)])
    assert c.best_throughput.key == 2


def test_best_latency_breaks_ties_by_higher_throughput_then_lower_key() -> None:
    assert curve([cfg(1, 2, 50), cfg(2, 2, 60), cfg(3, 9, 90)]).best_latency.key == 2
    assert curve([cfg(5, 2, 60), cfg(4, 2, 60), cfg(3, 9, 90)]).best_latency.key == 4


# --- the knee -----------------------------------------------------------------------------------------------------------


def test_the_knee_of_a_concave_front_is_worked_out_by_hand() -> None:
    assert knee(CONCAVE) == CONCAVE[2]
    assert curve(DOMINATED + CONCAVE).knee == CONCAVE[2]  # configs off the front change nothing


def test_the_knee_takes_the_lower_p99_on_a_tie() -> None:
    # p99 1, 2, 3, 5 -> 0, 0.25, 0.5, 1; throughput 10, 60, 80, 90 -> 0, 0.625, 0.875, 1: both middle points gain
    # exactly 0.375 (all of these are exact in binary).
    front = [cfg(1, 1, 10), cfg(2, 2, 60), cfg(3, 3, 80), cfg(4, 5, 90)]
    assert knee(front) == front[1]
    assert knee(list(reversed(front))) == front[1]  # the order given does not matter


def test_no_knee_with_two_points() -> None:
    assert knee(CONCAVE[::4]) is None
    assert knee([CONCAVE[0], CONCAVE[4], CONCAVE[4]]) is None  # three entries, two distinct points


def test_no_knee_on_a_straight_front() -> None:
    assert knee([cfg(1, 10, 100), cfg(2, 20, 150), cfg(3, 30, 200), cfg(4, 40, 250)]) is None
    # A straight line whose middle point gains 4e-16 from rounding alone: that is no knee.
    line = [cfg(k, p, 2.9 * p + 1.9) for k, p in enumerate([30.8, 35.1, 38.6], start=1)]
    low, mid, high = line
    rounding = ((mid.throughput - low.throughput) / (high.throughput - low.throughput)
                - (mid.p99_ms - low.p99_ms) / (high.p99_ms - low.p99_ms))
    assert 0 < rounding < 1e-12
    assert knee(line) is None


def test_no_knee_on_a_convex_front() -> None:
    # p99 1, 2, 4, 8 -> 0, 1/7, 3/7, 1 against throughput 10, 12, 16, 40 -> 0, 1/15, 1/5, 1: every middle point gains
    # less of the throughput range than of the p99 range, so the best difference (0) is at the ends.
    front = [cfg(1, 1, 10), cfg(2, 2, 12), cfg(3, 4, 16), cfg(4, 8, 40)]
    assert curve(front).front == front
    assert knee(front) is None


def test_no_knee_when_the_best_point_is_an_end() -> None:
    # Not a front: the lowest-p99 end scores 5/15 against -1/2 and 0 for the others, but an end is never the knee.
    assert knee([cfg(1, 1, 10), cfg(2, 2, 5), cfg(3, 3, 20)]) is None


# --- the sentence -------------------------------------------------------------------------------------------------------


def test_the_knee_sentence_names_both_ends_and_the_knee_with_shares_worked_out_by_hand() -> None:
    sentence = curve_insight("resnet50", curve(CONCAVE + DOMINATED))
    assert "batch 4 × 2 streams gives 93 % of the peak throughput at 25 % of its p99" in sentence
    assert sentence == (
        "resnet50: the most throughput is batch 16 × 4 streams (97.0 img/s, p99 16.0 ms), the lowest p99 batch 1 × 1"
        " stream (1.00 ms, 10.0 img/s); batch 4 × 2 streams gives 93 % of the peak throughput at 25 % of its p99."
    )


def test_the_sentence_without_a_knee_says_why() -> None:
    two = curve_insight("vit_base", curve([cfg(1, 10, 50, 1), cfg(2, 40, 200, 8), cfg(3, 50, 150, 4)]))
    assert two == ("vit_base: the most throughput is batch 8 × 1 stream (200 img/s, p99 40.0 ms), the lowest p99 batch 1 × 1"
                   " stream (10.0 ms, 50.0 img/s); no configuration in between trades well: no other is on the front.")
    convex = curve_insight("vit_base", curve([cfg(1, 1, 10), cfg(2, 2, 12), cfg(3, 4, 16), cfg(4, 8, 40)]))
    assert convex.endswith("; no configuration in between trades well: the front has no knee, none on it gives more of"
                           " the throughput range than of the p99 range.")
    assert "gives" not in convex.split(";")[0] and "%" not in convex


def test_one_config_best_on_both_is_said_once() -> None:
    sentence = curve_insight("convnext_tiny", curve([cfg(1, 21.43, 47, 1), cfg(2, 9.87, 131.4, 4, 2), cfg(3, 30, 120, 8, 2)]))
    assert sentence == ("convnext_tiny: batch 4 × 2 streams is best on both: the most throughput and the lowest p99 of the 3"
                        " configurations (131 img/s, p99 9.87 ms).")


def test_a_single_config_has_nothing_to_compare() -> None:
    sentence = curve_insight("resnet50", curve([cfg(1, 21.43, 46.84, 1)]))
    assert sentence == "resnet50: only batch 1 × 1 stream was measured (46.8 img/s, p99 21.4 ms), so there is nothing to compare."


def test_figures_round_to_three_significant_figures_and_shares_never_read_0_or_100() -> None:
    # Knee: 99.7 / 99.96 = 99.74 % of the peak throughput (not "100 %") at 1.5 / 1234.5 = 0.12 % of its p99 (not "0 %").
    sentence = curve_insight("m", curve([cfg(1, 1, 10), cfg(2, 1.5, 99.7), cfg(3, 1234.5, 99.96), cfg(4, 0.04567, 2.5)]))
    assert "the most throughput is batch 3 × 1 stream (100 img/s, p99 1,230 ms)" in sentence
    assert "the lowest p99 batch 4 × 1 stream (0.0457 ms, 2.50 img/s)" in sentence
    assert sentence.endswith("batch 2 × 1 stream gives over 99 % of the peak throughput at under 1 % of its p99.")
    big = curve_insight("m", curve([cfg(1, 5, 1234.5), cfg(2, 50, 12345.6)]))
    assert "(12,346 img/s, p99 50.0 ms)" in big and "(5.00 ms, 1,234 img/s)" in big


def test_a_gpu_configuration_is_named_by_its_batch_alone() -> None:
    assert Config(1, 64, 1, 900.0, 30.0, gpu=True).label == "batch 64"
