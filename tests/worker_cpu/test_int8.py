"""INT8 on the CPU: real NNCF quantization of real IRs of tiny timm models, compiled by the real CPU plugin."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from shared.measurement.pipeline import BenchmarkError, BenchSpec, check_spec
from worker_cpu import openvino_engine
from worker_cpu.quantize import calibration_inputs


def int8_spec(model: str, tmp_path: Path, **overrides: object) -> BenchSpec:
    values: dict[str, object] = dict(model=model, backend="cpu", engine="openvino", precision="int8", calibration="random",
                                     batch_size=1, streams=2, input_size=160, duration_s=1.0, cache_dir=tmp_path)
    return BenchSpec(**(values | overrides))  # type: ignore[arg-type]


# An int8 job of a CNN and of a ViT through a real worker: tests/e2e/test_int8_end_to_end.py.


def test_quantized_outputs_follow_the_float_model(tmp_path: Path) -> None:
    # Random calibration measures no accuracy, but a broken quantization (wrong ranges, a swapped scale) would
    # scramble the logits; on a calibration-like input they stay close to the float IR's.
    float_xml, _, _ = openvino_engine.ir_path(int8_spec("test_resnet", tmp_path, precision="fp32", calibration=None),
                                              lambda *_: None)
    int8_xml, meta, _ = openvino_engine.ir_path(int8_spec("test_resnet", tmp_path), lambda *_: None)
    assert meta["quantization"]["model_type"] == "default"
    x = calibration_inputs((1, 3, 160, 160), images=1)[0]
    expected = openvino_engine.compile_model(float_xml, "fp32", streams=1)(x)[0].ravel()
    got = openvino_engine.compile_model(int8_xml, "int8", streams=1)(x)[0].ravel()
    cosine = float(got @ expected / (np.linalg.norm(got) * np.linalg.norm(expected)))
    assert cosine > 0.95, cosine


def test_precision_used_is_int8_only_when_layers_run_quantized(tmp_path: Path) -> None:
    # A float IR compiled for an int8 job (as if quantization had placed nothing) reports the float precision.
    xml, _, _ = openvino_engine.ir_path(int8_spec("test_resnet", tmp_path, precision="auto", calibration=None),
                                        lambda *_: None)
    compiled = openvino_engine.compile_model(xml, "int8", streams=1)
    assert openvino_engine.int8_layer_share(compiled) == 0.0
    used, detail = openvino_engine.describe_precision(compiled, "int8")
    assert used == openvino_engine.precision_used(compiled) != "int8"
    assert detail["int8_layer_share"] == 0.0


def test_the_ir_cache_keys_on_calibration_and_leaves_float_keys_alone(tmp_path: Path) -> None:
    spec = int8_spec("test_resnet", tmp_path)
    floats = {p: openvino_engine.ir_key(replace(spec, precision=p, calibration=None)) for p in ("auto", "fp16", "fp32")}
    assert floats["auto"] == floats["fp16"] != floats["fp32"]
    assert openvino_engine.ir_key(spec) not in floats.values()
    assert openvino_engine.ir_key(spec) != openvino_engine.ir_key(replace(spec, calibration="imagenet"))


def test_the_benchmark_process_checks_precision_calibration_and_memory_again(tmp_path: Path) -> None:
    torch_int8 = BenchSpec(model="test_resnet", backend="gpu", engine="torch", precision="int8", calibration="random")
    with pytest.raises(BenchmarkError, match="int8 is built by the openvino and tensorrt engines, not by torch"):
        check_spec(torch_int8)
    with pytest.raises(BenchmarkError, match="does not fit precision int8"):
        check_spec(int8_spec("test_resnet", tmp_path, calibration=None))
    with pytest.raises(BenchmarkError, match="does not fit precision fp16"):
        check_spec(int8_spec("test_resnet", tmp_path, precision="fp16"))
    check_spec(int8_spec("test_resnet", tmp_path))  # a well-formed int8 job passes
    # A job whose inputs alone exceed this machine's memory (written behind the API's back, or judged against a larger
    # machine) stops before it builds.
    with pytest.raises(BenchmarkError, match="cannot fit in memory here: its inputs in flight .* exceed the .* of this machine"):
        check_spec(int8_spec("test_resnet", tmp_path, batch_size=4096, input_size=1024, streams=256))
