"""INT8 for TensorRT: ModelOpt's Q/DQ graph of the fused model, calibrated on random inputs, and the check that
proves it is the model with its convolutions and matmuls quantized (and that the check fails without the Q/DQ pairs)."""

from __future__ import annotations

import copy
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import pytest
import timm
import torch
from onnx import helper, numpy_helper

from shared.jobs.vocabulary import CALIBRATION_IMAGES, MIN_INT8_LAYER_SHARE
from shared.measurement.pipeline import BenchmarkError, BenchSpec
from shared.ml.calibration import random_batches
from shared.ml.fusion import fuse_batchnorm, randomize_batchnorms
from tests.conftest import REPO
from tests.worker_gpu.test_onnx_export import perturbed
from worker_gpu.onnx_check import MIN_INT8_COSINE, MIN_QDQ_SHARE, QUANTIZED_OPS, check, qdq_share, scaled_tokens
from worker_gpu.onnx_export import export
from worker_gpu.onnx_quantize import quantize_int8, strip_qdq
from worker_gpu.tensorrt_engine import engine_key, precision_used

# A CNN (BatchNormAct, squeeze-excitation) and a ViT (attention matmuls between two activations), at batch 2.
# Their convolutions and matmuls: 17 Conv + 1 Gemm; 1 Conv + 6 blocks x 6 MatMul (qkv, q@k, attn@v, proj, fc1, fc2) + 1 Gemm.
LAYERS = {"test_efficientnet": 18, "test_vit": 38}
SHAPE = (2, 3, 160, 160)


@pytest.fixture(scope="module", params=list(LAYERS))
def quantized(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    torch.manual_seed(0)
    reference = scaled_tokens(randomize_batchnorms(timm.create_model(request.param, pretrained=False)).eval())
    with torch.no_grad():
        fused = fuse_batchnorm(copy.deepcopy(reference), example_input=torch.zeros(1, 3, *SHAPE[2:]))
    path = export(fused, SHAPE, "int8", tmp_path_factory.mktemp(request.param))
    batch = torch.from_numpy(random_batches(SHAPE, CALIBRATION_IMAGES)[: SHAPE[0]].copy())
    return {"name": request.param, "reference": reference, "path": path, "batch": batch}


def test_int8_graph_is_quantized_and_matches_the_fp32_model(quantized: dict[str, object]) -> None:
    result = check(quantized["path"], "int8", quantized["reference"], quantized["batch"])  # type: ignore[arg-type]
    assert result.passed and result.line().startswith("PASS int8: 100.0% of convolutions and matmuls behind Q/DQ"), result.line()
    assert result.cosine is not None and result.cosine >= MIN_INT8_COSINE  # type: ignore[union-attr]
    graph = onnx.load(str(quantized["path"])).graph
    assert sum(n.op_type == "QuantizeLinear" for n in graph.node) >= LAYERS[quantized["name"]]  # type: ignore[index]
    assert [i.type.tensor_type.elem_type for i in graph.input] == [onnx.TensorProto.FLOAT]  # I/O kept FP32
    assert [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim] == list(SHAPE)  # static batch


def test_the_stripped_graph_is_still_the_model_but_fails_on_coverage(quantized: dict[str, object], tmp_path: Path) -> None:
    stripped = strip_qdq(quantized["path"], tmp_path / "stripped.onnx")  # type: ignore[arg-type]
    assert not any(n.op_type in ("QuantizeLinear", "DequantizeLinear") for n in onnx.load(str(stripped)).graph.node)
    result = check(stripped, "int8", quantized["reference"], quantized["batch"])  # type: ignore[arg-type]
    assert not result.passed and result.qdq_share == 0.0 and result.line().startswith("FAIL int8: 0.0%")  # type: ignore[union-attr]
    assert result.cosine is not None and result.cosine > 0.999  # type: ignore[union-attr]  (FP16 now: the failure is coverage alone)


def test_stripping_dequantizes_int8_weights_to_the_values_the_graph_computed_with(tmp_path: Path) -> None:
    # ModelOpt writes float weights behind Q/DQ; a graph may also hold them as INT8 behind a DequantizeLinear alone.
    import onnxruntime

    rng = np.random.default_rng(0)
    weights = rng.integers(-127, 128, (4, 3, 3, 3), dtype=np.int8)
    scales, zeros = rng.uniform(0.01, 0.1, 4).astype(np.float32), np.array([0, 3, -2, 1], dtype=np.int8)
    graph = helper.make_graph(
        [helper.make_node("DequantizeLinear", ["w", "w_scale", "w_zero"], ["w_dq"], axis=0),
         helper.make_node("Conv", ["x", "w_dq"], ["y"])], "int8-weights",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 4, 6, 6])],
        [numpy_helper.from_array(weights, "w"), numpy_helper.from_array(scales, "w_scale"),
         numpy_helper.from_array(zeros, "w_zero")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)]), str(tmp_path / "int8.onnx"))
    stripped = strip_qdq(tmp_path / "int8.onnx", tmp_path / "stripped.onnx")
    assert [n.op_type for n in onnx.load(str(stripped)).graph.node] == ["Conv"] and qdq_share(stripped) == 0.0
    x = {"x": rng.standard_normal((1, 3, 8, 8), dtype=np.float32)}
    (before,) = onnxruntime.InferenceSession(str(tmp_path / "int8.onnx"), providers=["CPUExecutionProvider"]).run(None, x)
    (after,) = onnxruntime.InferenceSession(str(stripped), providers=["CPUExecutionProvider"]).run(None, x)
    assert np.allclose(before, after, rtol=1e-5, atol=1e-5) and np.abs(before).max() > 0.1


def test_a_perturbed_weight_fails_the_int8_check(quantized: dict[str, object], tmp_path: Path) -> None:
    bad = perturbed(quantized["path"], tmp_path / "perturbed.onnx")  # type: ignore[arg-type]
    result = check(bad, "int8", quantized["reference"], quantized["batch"])  # type: ignore[arg-type]
    assert not result.passed and result.cosine < MIN_INT8_COSINE, result.line()  # type: ignore[union-attr,operator]


def test_coverage_counts_each_convolution_and_matmul_once(quantized: dict[str, object], tmp_path: Path) -> None:
    model = onnx.load(str(quantized["path"]))
    layers = [n for n in model.graph.node if n.op_type in QUANTIZED_OPS]
    assert len(layers) == LAYERS[quantized["name"]]  # type: ignore[index]
    assert qdq_share(quantized["path"]) == 1.0  # type: ignore[arg-type]
    for index, layer in enumerate(layers[:3]):  # an Identity between DequantizeLinear and the layer: no longer counted
        model.graph.node.append(helper.make_node("Identity", [layer.input[index % 2]], [f"bypass{index}"]))
        layer.input[index % 2] = f"bypass{index}"
    onnx.save(model, str(tmp_path / "three-unquantized.onnx"))
    assert qdq_share(tmp_path / "three-unquantized.onnx") == pytest.approx((len(layers) - 3) / len(layers))
    assert qdq_share(Path(str(quantized["path"])).with_name("model.fp32.onnx")) == 0.0


def test_calibration_is_random_whole_batches_and_the_same_every_time() -> None:
    data = random_batches((7, 3, 32, 32), 300)
    assert data.shape == (301, 3, 32, 32) and data.dtype == np.float32  # 43 batches of the graph's static batch
    assert np.array_equal(data, random_batches((7, 3, 32, 32), 300))
    assert abs(float(data.mean())) < 0.01 and abs(float(data.std()) - 1) < 0.01
    assert random_batches((4, 3, 32, 32), 300).shape[0] == 300
    with pytest.raises(BenchmarkError, match="use one of random"):
        quantize_int8(Path("unused.onnx"), (1, 3, 32, 32), "imagenet", 300, Path("unused.int8.onnx"))


def test_an_engine_calibrated_differently_is_another_engine() -> None:
    spec = BenchSpec(model="resnet50", backend="gpu", engine="tensorrt", precision="int8", calibration="random", batch_size=8)
    key = engine_key(spec, "11.4.0.106", "NVIDIA H200", "9.0")
    assert engine_key(replace(spec, calibration="imagenet"), "11.4.0.106", "NVIDIA H200", "9.0") != key
    assert engine_key(spec, "11.4.0.106", "NVIDIA H200", "9.0") == key  # the same job finds its engine again
    fp16 = replace(spec, precision="fp16", calibration=None)
    assert engine_key(fp16, "11.4.0.106", "NVIDIA H200", "9.0") != key
    assert engine_key(replace(fp16, calibration="random"), "11.4.0.106", "NVIDIA H200", "9.0") == \
        engine_key(fp16, "11.4.0.106", "NVIDIA H200", "9.0")  # calibration changes only int8 engines


def test_an_engine_is_int8_only_when_enough_of_it_is_quantized() -> None:
    assert precision_used("int8", MIN_INT8_LAYER_SHARE) == "int8" and precision_used("int8", 1.0) == "int8"
    assert precision_used("int8", MIN_INT8_LAYER_SHARE - 0.01) == "fp16" and precision_used("int8", None) == "fp16"
    assert precision_used("fp16", None) == "fp16" and precision_used("bf16", None) == "bf16"


def test_the_export_command_checks_int8_and_its_negative_control_fails(tmp_path: Path) -> None:
    def export_command(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "worker_gpu.export", "--model", "test_vit", "--batch-size", "1",
                               "--precision", "int8", "--out", str(tmp_path), "--check", *extra],
                              cwd=REPO, capture_output=True, text=True, timeout=300)

    passed = export_command()
    assert passed.returncode == 0, passed.stdout + passed.stderr[-2000:]
    # 37 of 38: at batch 1 the head is a matrix-vector product, which ModelOpt leaves unquantized (no INT8 gain in TensorRT).
    assert passed.stdout.strip().splitlines()[-1].startswith("PASS int8: 97.4% of convolutions and matmuls behind Q/DQ")
    stripped = export_command("--strip-qdq")
    assert stripped.returncode == 1, stripped.stdout + stripped.stderr[-2000:]
    line = stripped.stdout.strip().splitlines()[-1]
    assert line.startswith("FAIL int8: 0.0% of convolutions and matmuls behind Q/DQ") and f"need >= {MIN_QDQ_SHARE:.0%}" in line
    assert (tmp_path / "model.onnx").exists() and (tmp_path / "model.stripped.onnx").exists()
