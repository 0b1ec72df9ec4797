"""The sentences written from the frontier, on synthetic points (standard library only)."""

from __future__ import annotations

import random

import pytest

from shared.analysis.frontier import Point
from shared.analysis.insights import write_insights
from shared.analysis.intervals import mean_ci95
from tests.shared.analysis.test_frontier import SEED, pt, with_text


def measured(label: str, runs: list[float], top1: float, family: str | None = None) -> Point:
    """A point as the chart builds it from a result of repeats: the mean of the runs and its 95 % interval."""
    mean, interval = mean_ci95(runs)
    return Point(key=label, label=label, family=family, throughput=mean, top1=top1, throughput_ci95=interval)


def noisy(seed: int, mean: float, sd: float, repeats: int = 3) -> list[float]:
    """Synthetic runs with a known spread: the machine's run-to-run noise."""
    rng = random.Random(seed)
    return [rng.gauss(mean, sd) for _ in range(repeats)]


def ci(label: str, throughput: float, low: float, high: float, top1: float) -> Point:
    return Point(key=label, label=label, family=None, throughput=throughput, top1=top1, throughput_ci95=(low, high))


def using(label: str, share: float | None, key: str | None = None) -> Point:
    return Point(key=key or label, label=label, family=None, throughput=100.0, top1=80.0, peak_share=share)


# --- the sentences ------------------------------------------------------------------------------------------------------


def test_no_points_no_sentences() -> None:
    assert write_insights([]) == []


def test_a_single_point_has_nothing_to_compare() -> None:
    assert write_insights([pt("resnet50", 120, 80.4, "CNN")]) == [
        "Only one model has a known accuracy, resnet50 (80.4%, 120 img/s), so there is nothing to compare it with."
    ]


def test_the_seed_study_reads_as_expected() -> None:
    assert write_insights(SEED) == [
        "Below 81.5% top-1, the most efficient models are efficientnet_b0 (77.7%, 560 img/s)"
        " and mobilenetv3_large_100 (75.8%, 800 img/s).",
        "At 81.5% top-1 and above, the most efficient models are swin_small (83.3%, 35.0 img/s),"
        " convnext_small (83.1%, 40.0 img/s)"
        " and levit_256 (81.5%, 260 img/s).",
        "tresnet_l is dominated: levit_256 is 4.7× faster at the same top-1.",
        "resnet50 is dominated: levit_256 is 2.2× faster with +1.1% top-1.",
        "swin_small is 3.4× slower than resnet50 for +2.9% top-1.",
        "convnext_small is 3.0× slower than resnet50 for +2.7% top-1.",
        "tresnet_l is 2.2× slower than resnet50 for +1.1% top-1.",
        "mobile models hold 2 of the 5 frontier points.",
    ]


def test_default_level_is_the_frontier_median_rounded_half_up() -> None:
    # Frontier top-1: 84, 81.5, 81, 76 -> median 81.25 -> 81.5 (round-half-even would give 81.0).
    points = [pt("a", 10, 84), pt("b", 100, 81.5), pt("c", 150, 81), pt("d", 1234, 76)]
    sentences = write_insights(points)
    assert sentences[0] == "Below 81.5% top-1, the most efficient models are c (81.0%, 150 img/s) and d (76.0%, 1,234 img/s)."
    assert sentences[1] == (
        "At 81.5% top-1 and above, the most efficient models are a (84.0%, 10.0 img/s) and b (81.5%, 100 img/s)."
    )


def test_given_levels_make_three_bands_and_empty_bands_are_skipped() -> None:
    points = [pt("a", 42.5, 84), pt("b", 100, 81.5), pt("c", 150, 81), pt("d", 1234, 76)]
    sentences = write_insights(points, levels=[83.25, 78])
    assert sentences[:3] == [
        "Below 78.0% top-1, the most efficient model is d (76.0%, 1,234 img/s).",
        "From 78.0% to 83.25% top-1, the most efficient models are b (81.5%, 100 img/s) and c (81.0%, 150 img/s).",
        "At 83.25% top-1 and above, the most efficient model is a (84.0%, 42.5 img/s).",
    ]
    skipped = write_insights(points, levels=[70, 90])
    assert skipped[0].startswith("From 70.0% to 90.0% top-1, the most efficient models are a (84.0%")
    assert not with_text(skipped, "Below") and not with_text(skipped, "and above")
    everything = write_insights(points, levels=[])
    assert everything[0].startswith("Across all accuracies, the most efficient models are a (84.0%")


def test_a_default_level_that_splits_nothing_is_dropped() -> None:
    # Frontier top-1 80.2 and 80.0: the median 80.1 rounds to 80.0, which would put both in one band anyway.
    everything = write_insights([pt("a", 10, 80.2), pt("b", 20, 80.0)])
    assert everything[0] == (
        "Across all accuracies, the most efficient models are a (80.2%, 10.0 img/s) and b (80.0%, 20.0 img/s)."
    )


def test_a_band_names_at_most_three_models_most_accurate_first() -> None:
    points = [pt(f"m{i}", 100 * (i + 1), 85 - i) for i in range(5)]  # all on the frontier: 85, 84, 83, 82, 81
    band = write_insights(points, levels=[80])[0]
    assert band == (
        "At 80.0% top-1 and above, the most efficient models are m0 (85.0%, 100 img/s), m1 (84.0%, 200 img/s)"
        " and m2 (83.0%, 300 img/s) (2 more on the frontier)."
    )


def test_one_model_beating_all_others_is_efficient_at_every_accuracy() -> None:
    sentences = write_insights([pt("best", 500, 85), pt("worse", 100, 80)])
    assert sentences[0] == (
        "best (85.0%, 500 img/s) is the most efficient model at every accuracy: it is both the fastest and the most accurate."
    )
    assert "worse is dominated: best is 5.0× faster with +5.0% top-1." in sentences


def test_dominated_models_worst_first_at_most_five() -> None:
    best = pt("best", 1000, 90)
    losers = [pt(f"slow{i}", 1000 / r, 85 + i / 10) for i, r in enumerate([1.5, 4, 2, 8, 3, 6, 2.5])]
    dominated = with_text(write_insights([best, *losers]), "dominated")
    assert dominated == [
        "slow3 is dominated: best is 8.0× faster with +4.7% top-1.",
        "slow5 is dominated: best is 6.0× faster with +4.5% top-1.",
        "slow1 is dominated: best is 4.0× faster with +4.9% top-1.",
        "slow4 is dominated: best is 3.0× faster with +4.6% top-1.",
        "slow6 is dominated: best is 2.5× faster with +4.4% top-1.",
        "2 more models are dominated too.",
    ]


def test_ties_in_domination() -> None:
    same_top1 = write_insights([pt("quick", 300, 80), pt("sluggish", 100, 80)])
    assert "sluggish is dominated: quick is 3.0× faster at the same top-1." in same_top1
    same_speed = write_insights([pt("sharp", 100, 81.2), pt("blunt", 100, 80.0)])
    assert "blunt is dominated: sharp is as fast with +1.2% top-1." in same_speed
    nearly = write_insights([pt("a", 104, 80.04), pt("b", 100, 80.0)])
    assert "b is dominated: a is 1.04× faster with +0.04% top-1." in nearly


def test_identical_points_dominate_nobody() -> None:
    sentences = write_insights([pt("twin", 100, 80, key="1"), pt("twin", 100, 80, key="2")])
    assert not with_text(sentences, "dominated")
    assert "All 2 models are on the frontier: none is both slower and less accurate than another." in sentences
    assert sentences[0] == "Across all accuracies, the most efficient model is twin (80.0%, 100 img/s)."  # named once


def test_repeated_runs_of_one_model_say_another_result() -> None:
    sentences = write_insights([pt("resnet50", 130, 80.4, key="1"), pt("resnet50", 100, 80.4, key="2")])
    assert "resnet50 is dominated: another resnet50 result is 1.3× faster at the same top-1." in sentences


def test_all_on_the_frontier_has_no_dominated_sentence() -> None:
    points = [pt(f"m{i}", 100 * (i + 1), 90 - i) for i in range(4)]
    sentences = write_insights(points)
    assert not with_text(sentences, "dominated")
    assert "All 4 models are on the frontier: none is both slower and less accurate than another." in sentences


def test_slower_models_against_the_reference() -> None:
    points = [
        pt("resnet50", 120, 80.4),
        pt("convnext_small", 120 / 3.1, 83.5),
        pt("fast_and_good", 240, 81.0),  # faster: not compared
        pt("slow_and_bad", 120 / 1.8, 80.0),
        pt("slow_and_equal", 60, 80.4),
    ]
    against = with_text(write_insights(points), "than resnet50")
    assert against == [
        "convnext_small is 3.1× slower than resnet50 for +3.1% top-1.",
        "slow_and_equal is 2.0× slower than resnet50 at the same top-1.",
        "slow_and_bad is 1.8× slower than resnet50 and 0.4% less accurate.",
    ]


def test_reference_comparisons_are_slowest_first_and_at_most_five() -> None:
    ratios = [2, 7, 3, 5, 4, 6]
    points = [pt("ref", 700, 80)] + [pt(f"big{r}", 700 / r, 80 + r) for r in ratios]
    against = with_text(write_insights(points, reference="ref"), "than ref")
    assert [s.split(" ")[0] for s in against] == ["big7", "big6", "big5", "big4", "big3"]
    assert against[0] == "big7 is 7.0× slower than ref for +7.0% top-1."


def test_reference_found_by_the_name_before_the_tag() -> None:
    points = [pt("resnet50.a1_in1k", 120, 80.4), pt("resnet50.tv_in1k", 125, 76.1), pt("convnext_small.in12k", 40, 83.1)]
    assert "convnext_small.in12k is 3.0× slower than resnet50.a1_in1k for +2.7% top-1." in write_insights(points)


def test_missing_reference_skips_the_comparison() -> None:
    sentences = write_insights([p for p in SEED if p.label != "resnet50"])
    assert not with_text(sentences, "slower than")
    assert not with_text(write_insights(SEED, reference="vit_base_patch16_224"), "slower than")


def test_the_family_holding_most_of_the_frontier() -> None:
    points = [pt("m1", 900, 75, "mobile"), pt("m2", 700, 77, "mobile"), pt("m3", 500, 78, "mobile"), pt("c1", 100, 82, "CNN")]
    assert "mobile models hold 3 of the 4 frontier points." in write_insights(points)
    tied = [pt("m1", 900, 75, "mobile"), pt("c1", 100, 82, "CNN")]
    assert "CNN and mobile models each hold 1 of the 2 frontier points." in write_insights(tied)
    alone = [pt("m1", 900, 75, "mobile"), pt("m2", 100, 82, "mobile")]
    assert "Every frontier point is a mobile model." in write_insights(alone)


def test_a_family_with_no_frontier_point() -> None:
    points = [
        pt("levit_256", 260, 81.5, "hybrid"),
        pt("mobilenetv3", 800, 75.8, "mobile"),
        pt("swin_tiny", 50, 81.2, "transformer"),
        pt("vit_small", 60, 79.0, "transformer"),
        pt("deit_small", 55, 79.9, "transformer"),
        pt("tnt_s", 30, 81.4, "transformer"),
        pt("mixer_b16", 40, 76.4, "MLP"),  # only one MLP: no sentence for it
    ]
    sentences = write_insights(points)
    assert "No transformer model is on the frontier (tnt_s, swin_tiny, deit_small and 1 more)." in sentences
    assert not with_text(sentences, "No MLP")
    assert "hybrid and mobile models each hold 1 of the 2 frontier points." in sentences


def test_unknown_families_are_left_out() -> None:
    points = [pt("a", 900, 75), pt("b", 100, 82), pt("c", 50, 70), pt("d", 40, 71)]
    sentences = write_insights(points)
    assert not with_text(sentences, "frontier point") and not with_text(sentences, "No ")
    mixed = [pt("a", 900, 75), pt("b", 100, 82), pt("c", 50, 70, "CNN"), pt("d", 40, 71, "CNN")]
    sentences = write_insights(mixed)
    assert "No CNN model is on the frontier (d, c)." in sentences
    assert not with_text(sentences, "frontier points.")  # no family holds a frontier point: no leader sentence


# --- speeds compared through their 95 % intervals -----------------------------------------------------------------------


def test_models_within_the_noise_are_indistinguishable_not_one_faster() -> None:
    # The page said "levit_128s is 1.01× faster with +0.7% top-1"; both are 100 img/s give or take 15 %, 3 runs each.
    levit = measured("levit_128s", noisy(1, 101, 15), 78.5)
    other = measured("mobilevit_s", noisy(2, 100, 15), 77.8)
    assert levit.throughput > other.throughput  # on the means levit_128s dominates, so the old sentence would name it
    sentences = write_insights([levit, other])
    assert sentences[0].endswith("is the most efficient model at every accuracy: it is the most accurate, and no model"
                                 " is measurably faster on this hardware.")
    assert "mobilevit_s and levit_128s are indistinguishable in speed on this hardware (95% intervals overlap);" \
           " levit_128s has +0.7% top-1." in sentences
    assert not with_text(sentences, "× faster") and not with_text(sentences, "the fastest")


def test_indistinguishable_in_speed_and_equal_in_top1() -> None:
    a, b = measured("a", [98.0, 100.0, 105.0], 80.0), measured("b", [95.0, 99.0, 102.0], 80.0)
    assert "b and a are indistinguishable on this hardware: their speeds' 95% intervals overlap and their top-1 is the same." \
        in write_insights([a, b])


def test_separate_intervals_give_the_ratios_range() -> None:
    q, p = ci("q", 140, 130, 150, 80.7), ci("p", 100, 95, 105, 80.0)  # [130/105, 150/95] = [1.24, 1.58]
    assert "p is dominated: q is 1.4× faster (1.2–1.6×) with +0.7% top-1." in write_insights([q, p])
    close = [ci("q", 110, 104, 116, 80.0), ci("p", 100, 99, 100.5, 80.0)]  # 1.035 would read 1.0: two decimals
    assert "p is dominated: q is 1.1× faster (1.03–1.17×) at the same top-1." in write_insights(close)
    wild = [ci("q", 1000, 990, 1010, 80.0), ci("p", 35, -282, 352, 79.0)]  # two scattered runs: p's interval reaches 0
    assert "p is dominated: q is 28.6× faster (at least 2.8×) with +1.0% top-1." in write_insights(wild)


def test_separated_synthetic_runs_give_a_range_holding_the_true_ratio() -> None:
    for seed in range(20):
        fast = measured("fast", noisy(seed, 300, 9, repeats=5), 81.0)  # 3 % spread, truly 3× the slow one
        slow = measured("slow", noisy(seed + 100, 100, 3, repeats=5), 80.0)
        [sentence] = with_text(write_insights([fast, slow]), "dominated")
        low, high = sentence.split("(")[1].split("×")[0].split("–")
        assert float(low) <= 3.0 <= float(high), sentence
        assert sentence.startswith("slow is dominated: fast is ") and sentence.endswith("×) with +1.0% top-1.")


def test_an_unknown_interval_keeps_the_plain_ratio() -> None:
    one_run = measured("levit_128s", [101.0], 78.5)  # one run: its interval is unknown, not zero
    repeated = measured("mobilevit_s", [85.0, 100.0, 115.0], 77.8)
    assert one_run.throughput_ci95 is None
    assert "mobilevit_s is dominated: levit_128s is 1.01× faster with +0.7% top-1." in write_insights([one_run, repeated])
    assert "mobilevit_s is dominated: levit_128s is 1.01× faster with +0.7% top-1." in write_insights(
        [pt("levit_128s", 101, 78.5), pt("mobilevit_s", 100, 77.8)])


def test_sure_dominations_come_before_those_within_the_noise() -> None:
    best = ci("best", 1000, 990, 1010, 90.0)
    near = ci("near", 980, 960, 1000, 85.0)  # 1.02×, within the noise
    far = ci("far", 500, 490, 510, 85.0)  # 2×, sure
    dominated = with_text(write_insights([best, near, far]), "best")[1:]
    assert dominated[0] == "far is dominated: best is 2.0× faster (1.9–2.1×) with +5.0% top-1."
    assert dominated[1].startswith("near and best are indistinguishable in speed")


def test_slower_than_the_reference_with_intervals() -> None:
    points = [
        ci("resnet50", 120, 118, 122, 80.4),
        ci("convnext_small", 40, 37, 41, 83.1),  # [118/41, 122/37] = [2.88, 3.30]
        ci("levit_128s", 117, 112, 121, 81.1),  # overlaps resnet50: no price paid for its accuracy
        ci("noisy_small", 115, 110, 119, 79.9),
        ci("noisy_same", 116, 111, 120, 80.4),
        pt("one_run", 60, 80.0),  # unknown interval: the plain ratio
    ]
    against = with_text(write_insights(points), "resnet50 ")
    assert "convnext_small is 2.9–3.3× slower than resnet50 for +2.7% top-1." in against
    assert "levit_128s is indistinguishable in speed from resnet50 on this hardware, with +0.7% top-1." in against
    assert "noisy_small is indistinguishable in speed from resnet50 on this hardware and 0.5% less accurate." in against
    assert "noisy_same is indistinguishable in speed from resnet50 on this hardware at the same top-1." in against
    assert "one_run is 2.0× slower than resnet50 and 0.4% less accurate." in against


def test_slower_than_the_reference_on_synthetic_runs() -> None:
    ref = measured("resnet50", noisy(3, 120, 3.6, repeats=5), 80.4)  # 3 % spread
    big = measured("convnext_small", noisy(4, 40, 1.2, repeats=5), 83.1)  # truly 3.0× slower
    twin = measured("resnet50d", noisy(5, 118, 18, repeats=3), 80.9)  # 15 % spread, 2 % slower: cannot be told apart
    assert twin.throughput < ref.throughput
    sentences = write_insights([ref, big, twin])
    [price] = with_text(sentences, "convnext_small is")
    low, high = price.removeprefix("convnext_small is ").split("×")[0].split("–")
    assert float(low) <= 3.0 <= float(high) and price.endswith("× slower than resnet50 for +2.7% top-1.")
    assert "resnet50d is indistinguishable in speed from resnet50 on this hardware, with +0.5% top-1." in sentences


# --- the machine's measured peak ----------------------------------------------------------------------------------------


def test_best_and_worst_use_of_the_machine_come_last() -> None:
    points = [
        pt("a", 900, 75, "mobile"), pt("b", 100, 82, "CNN"),
        Point("c", "c", "CNN", 50, 70, peak_share=0.62), Point("d", "d", None, 40, 71, peak_share=0.081),
        Point("e", "e", None, 30, 72, peak_share=0.55), Point("f", "f", None, 20, 73, peak_share=0.12),
        Point("g", "g", None, 10, 74, peak_share=0.3),
    ]
    sentences = write_insights(points)
    assert sentences[-1] == "Best use of this machine's measured peak: c (62%), e (55%); worst: d (8.1%), f (12%)."


@pytest.mark.parametrize(("shares", "expected"), [
    ([0.5, 0.25], "Best use of this machine's measured peak: m0 (50%); worst: m1 (25%)."),
    ([0.5, 0.25, 0.4], "Best use of this machine's measured peak: m0 (50%); worst: m1 (25%)."),
    ([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2],
     "Best use of this machine's measured peak: m0 (90%), m1 (80%), m2 (70%); worst: m7 (20%), m6 (30%), m5 (40%)."),
    ([0.0004, 0.02], "Best use of this machine's measured peak: m1 (2.0%); worst: m0 (0.04%)."),
])
def test_up_to_three_a_side_and_never_one_on_both(shares: list[float], expected: str) -> None:
    points = [using(f"m{i}", s) for i, s in enumerate(shares)]
    assert with_text(write_insights(points), "measured peak") == [expected]


def test_each_model_named_once_with_its_highest_share() -> None:
    points = [using("resnet50", 0.2, "1"), using("resnet50", 0.6, "2"), using("vit", 0.3, "3"), using("vit", 0.1, "4")]
    assert with_text(write_insights(points), "measured peak") == [
        "Best use of this machine's measured peak: resnet50 (60%); worst: vit (30%)."
    ]


def test_no_hardware_sentence_without_two_models_with_a_share() -> None:
    assert not with_text(write_insights([using("a", 0.5), using("b", None)]), "measured peak")
    assert not with_text(write_insights([using("a", 0.5, "1"), using("a", 0.3, "2")]), "measured peak")
    assert not with_text(write_insights(SEED), "measured peak")


def test_a_point_whose_top1_is_unverified_is_named_so_in_every_sentence() -> None:
    points = [Point("1", "levit_256 INT8", "hybrid", 210.0, 81.5, unverified=True),
              Point("2", "levit_256 BF16", "hybrid", 100.0, 81.5),
              Point("3", "mobilenetv3 BF16", "mobile", 500.0, 75.8)]
    text = " ".join(write_insights(points))
    assert "levit_256 INT8 (81.5% unverified, 210 img/s)" in text
    assert "levit_256 BF16 is dominated: levit_256 INT8 (top-1 unverified) is 2.1× faster" in text
    assert "mobilenetv3 BF16 (75.8%, 500 img/s)" in text  # measured figures read as before
