"""Real OpenVINO runs on tiny timm models: conversion, precision, streams, cache, and numerical fidelity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openvino as ov
import pytest
import torch

from shared.db.tables import ResultBase, RunBase
from shared.measurement.hardware import cpu_flags
from shared.measurement.pipeline import BenchmarkError, BenchSpec, run_benchmark
from shared.measurement.repeats import combine
from shared.ml.prepare import prepare as prepare_model
from shared.worker.runner import overall_progress
from worker_cpu import openvino_engine


def spec_for(model: str, tmp_path: Path, **overrides: object) -> BenchSpec:
    values: dict[str, object] = dict(model=model, pretrained_tag=None, backend="cpu", engine="openvino",
                                     precision="fp16", batch_size=1, streams=2, input_size=160, duration_s=1.0,
                                     cache_dir=tmp_path)
    return BenchSpec(**(values | overrides))  # type: ignore[arg-type]


@pytest.mark.parametrize(("model", "input_size"), [("test_efficientnet", 160), ("levit_128s", 224)])
def test_benchmark_runs_and_second_prepare_hits_the_cache(model: str, input_size: int, tmp_path: Path) -> None:
    spec = spec_for(model, tmp_path, input_size=input_size)
    events: list[tuple[str, float]] = []
    first = run_benchmark(spec, lambda stage, fraction: events.append((stage, fraction)), lambda: False)
    stages = [stage for stage, _ in events]
    assert stages[:3] == ["preparing", "converting", "building engine"] and "measuring" in stages
    progress = [overall_progress(stage, fraction) for stage, fraction in events]
    assert progress == sorted(progress)  # a job's progress never goes backwards
    run, described = first["run"], first["described"]
    assert run["cache_hit"] is False and run["iterations"] >= 20 and run["throughput"] > 0
    assert described["streams"] == 2 and described["hardware_detail"]["engine"]["infer_requests"] >= 2
    assert described["precision_used"] in ("fp16", "fp32", "bf16") and described["gflops"] > 0
    # Memory while measuring: the process's resident peak (this test's own process, so at least torch's size),
    # and the IR on disk; no device memory on a CPU.
    assert run["peak_rss_mb"] > 50 and 0 < run["artifact_mb"] < 100 and run["device_memory_mb"] is None
    assert set(run) == set(RunBase.model_fields)  # exactly what the run table stores
    assert set(combine([run], [described], {})) == set(ResultBase.model_fields)  # and, combined, the result table
    second = run_benchmark(spec, lambda *_: None, lambda: False)["run"]
    assert second["cache_hit"] is True and second["prepare_s"] < run["prepare_s"] / 2


def test_ir_has_a_static_shape_and_fp16_weights(tmp_path: Path) -> None:
    spec = spec_for("test_resnet", tmp_path, batch_size=2)
    xml, _, _ = openvino_engine.ir_path(spec, lambda *_: None)
    model = ov.Core().read_model(xml)
    assert model.input(0).get_partial_shape().is_static and list(model.input(0).shape) == [2, 3, 160, 160]
    constants = [op for op in model.get_ops() if op.get_type_name() == "Constant" and op.get_output_size()]
    big = [op for op in constants if int(np.prod(list(op.get_output_shape(0)) or [1])) > 64]
    assert big and all(op.get_output_element_type(0) == ov.Type.f16 for op in big)


def test_ir_computes_what_the_fused_torch_model_computes(tmp_path: Path) -> None:
    # Weights are random: seed both builds so the IR and the reference hold the same ones.
    torch.manual_seed(0)
    xml, _, _ = openvino_engine.ir_path(spec_for("test_resnet", tmp_path, precision="fp32"), lambda *_: None)
    torch.manual_seed(0)
    reference = prepare_model("test_resnet", 160, 1).module
    compiled = openvino_engine.compile_model(xml, "fp32", streams=1)
    assert openvino_engine.precision_used(compiled) == "fp32"
    x = np.random.default_rng(1).standard_normal((1, 3, 160, 160), dtype=np.float32)
    with torch.no_grad():
        expected = reference(torch.from_numpy(x)).numpy()
    got = compiled(x)[0]
    assert np.abs(got - expected).max() <= 1e-3 * max(1.0, float(np.abs(expected).max()))


def test_a_model_that_cannot_run_at_that_size_fails_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkError, match="does not run at input size 40"):
        run_benchmark(spec_for("test_vit", tmp_path, input_size=40), lambda *_: None, lambda: False)


def test_auto_compiles_with_no_precision_hint_and_explicit_ones_force_theirs() -> None:
    assert "INFERENCE_PRECISION_HINT" not in openvino_engine.compile_config("auto", streams=2)
    hints = {p: openvino_engine.compile_config(p, streams=2)["INFERENCE_PRECISION_HINT"] for p in ("fp32", "fp16", "bf16")}
    assert hints == {"fp32": "f32", "fp16": "f16", "bf16": "bf16"}
    assert openvino_engine.compile_config("auto", streams=3) == {"PERFORMANCE_HINT": "THROUGHPUT", "NUM_STREAMS": "3"}


def test_precision_used_reads_back_what_the_plugin_computes(tmp_path: Path) -> None:
    xml, _, _ = openvino_engine.ir_path(spec_for("test_resnet", tmp_path, precision="auto"), lambda *_: None)
    native = ov.Core().get_property("CPU", "INFERENCE_PRECISION_HINT").get_type_name()  # the plugin's own default
    used = {p: openvino_engine.precision_used(openvino_engine.compile_model(xml, p, streams=1))
            for p in ("auto", "fp32", "fp16", "bf16")}
    assert used["auto"] == openvino_engine.PRECISIONS_READ_BACK[native]
    assert used["fp32"] == "fp32"
    flags = cpu_flags()
    if not flags & {"avx512_bf16", "amx_bf16"}:  # an AVX2-only or plain AVX-512 CPU computes f32 natively
        assert used["auto"] == "fp32"
    if "avx512_fp16" in flags:
        assert used["fp16"] == "fp16"
    assert used["bf16"] in ("bf16", "fp32") and used["fp16"] in ("fp16", "bf16", "fp32")  # unsupported hints fall back


def test_auto_fp16_and_bf16_share_one_fp16_ir_and_fp32_has_its_own(tmp_path: Path) -> None:
    paths = {}
    for precision in ("auto", "fp16", "bf16", "fp32"):
        xml, _, hit = openvino_engine.ir_path(spec_for("test_resnet", tmp_path, precision=precision), lambda *_: None)
        paths[precision] = (xml, hit)
    assert paths["auto"][1] is False and paths["fp16"] == (paths["auto"][0], True) == paths["bf16"]
    assert paths["fp32"][0] != paths["auto"][0] and paths["fp32"][1] is False
    fp32 = ov.Core().read_model(paths["fp32"][0])
    assert not any(op.get_output_element_type(0) == ov.Type.f16 for op in fp32.get_ops()
                   if op.get_type_name() == "Constant" and op.get_output_size())
