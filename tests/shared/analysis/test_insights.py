"""The sentences written from the frontier, on synthetic points (standard library only)."""

from __future__ import annotations

from shared.analysis.insights import write_insights
from tests.shared.analysis.test_frontier import SEED, pt, with_text

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
