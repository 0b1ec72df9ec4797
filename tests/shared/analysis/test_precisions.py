"""A model's precisions joined on one chart, and what each precision buys over the default."""

from __future__ import annotations

from shared.analysis.precisions import Ran, default_precision, gains_insights, lines


def test_a_line_per_model_and_input_size_through_its_fastest_point_at_each_precision() -> None:
    points = [Ran(1, "resnet50", "auto", "bf16", 60.0, 224), Ran(2, "resnet50", "int8", "int8", 294.0, 224),
              Ran(3, "resnet50", "int8", "int8", 250.0, 224),  # a slower int8 configuration: not on the line
              Ran(4, "resnet50", "fp32", "fp32", 30.0, 224),
              Ran(5, "resnet50", "auto", "bf16", 40.0, 288), Ran(6, "resnet50", "int8", "int8", 100.0, 288),
              Ran(7, "mobilenet", "auto", "bf16", 500.0, 224)]  # one precision only: no line
    found = {line.model: line for line in lines(points)}
    assert set(found) == {"resnet50 (224px)", "resnet50 (288px)"}  # two input sizes are not one model's precisions
    assert (found["resnet50 (224px)"].points, found["resnet50 (224px)"].precisions) == ([4, 1, 2], ["fp32", "bf16", "int8"])
    assert found["resnet50 (224px)"].speedups == {"fp32": 0.5, "int8": 4.9}
    assert found["resnet50 (288px)"].speedups == {"int8": 2.5}


def test_gains_name_the_largest_first_and_say_the_median_of_the_rest() -> None:
    points = [Ran(i * 2, f"m{i}", "auto", "bf16", 100.0) for i in range(6)]
    points += [Ran(i * 2 + 1, f"m{i}", "int8", "int8", 100.0 * (1 + i)) for i in range(6)]
    assert default_precision(points) == "bf16"
    (sentence,) = gains_insights(lines(points), "bf16")
    assert sentence == "INT8: 6.0× m5, 5.0× m4, 4.0× m3, 3.0× m2 and 2 more (median of the 6: 3.5×) over the default (bf16)."


def test_without_an_auto_run_there_is_no_default_and_no_speed_up() -> None:
    points = [Ran(1, "resnet50", "fp32", "fp32", 30.0), Ran(2, "resnet50", "int8", "int8", 120.0)]
    assert default_precision(points) is None
    (line,) = lines(points)
    assert line.speedups == {} and gains_insights([line], None) == []
