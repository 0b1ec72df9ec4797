"""What TensorRT receives: the fused model exported to ONNX, AutoCast to FP16 with fixed thresholds, and the
onnxruntime check that proves it is the model at the precision asked (and that the check can fail)."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
import timm
import torch
from onnx import numpy_helper

from shared.ml.fusion import fuse_batchnorm, randomize_batchnorms
from tests.conftest import REPO
from worker_gpu.onnx_check import MIN_WEIGHT_SHARE, TOLERANCE, check, precision_shares
from worker_gpu.onnx_export import export

# A CNN with BatchNormAct, a LeViT (Linear + BatchNorm1d) and a ViT, at batch 2 to keep the suite fast.
MODELS = {"test_efficientnet": 160, "levit_128s": 224, "test_vit": 160}


def reference_and_fused(name: str, size: int) -> tuple[torch.nn.Module, torch.nn.Module]:
    torch.manual_seed(0)
    reference = randomize_batchnorms(timm.create_model(name, pretrained=False)).eval()
    with torch.no_grad():
        fused = fuse_batchnorm(copy.deepcopy(reference), example_input=torch.zeros(1, 3, size, size))
    return reference, fused


@pytest.fixture(scope="module", params=list(MODELS))
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    name, size = request.param, MODELS[request.param]
    reference, fused = reference_and_fused(name, size)
    folder = tmp_path_factory.mktemp(name)
    shape = (2, 3, size, size)
    return {"name": name, "reference": reference, "shape": shape, "batch": torch.randn(shape),
            "fp16": export(fused, shape, "fp16", folder / "fp16"), "fp32": export(fused, shape, "fp32", folder / "fp32")}


def test_fp16_graph_is_fp16_and_matches_the_fp32_model(exported: dict[str, object]) -> None:
    result = check(exported["fp16"], "fp16", exported["reference"], exported["batch"])  # type: ignore[arg-type]
    assert result.passed, result.line()
    assert result.weight_share >= MIN_WEIGHT_SHARE["fp16"] and result.relative_difference <= TOLERANCE["fp16"]
    model = onnx.load(str(exported["fp16"]))
    inputs = {i.name: i.type.tensor_type for i in model.graph.input}
    assert [t.elem_type for t in inputs.values()] == [onnx.TensorProto.FLOAT]  # I/O kept FP32 (keep_io_types)
    assert [d.dim_value for d in next(iter(inputs.values())).shape.dim] == list(exported["shape"])  # static batch
    assert not any(n.op_type == "BatchNormalization" for n in model.graph.node)  # exported after fusion


def test_fp32_graph_matches_tightly(exported: dict[str, object]) -> None:
    result = check(exported["fp32"], "fp32", exported["reference"], exported["batch"])  # type: ignore[arg-type]
    assert result.passed and result.weight_share == 1.0 and result.relative_difference < 1e-4, result.line()


def test_a_graph_left_in_fp32_fails_the_fp16_check(exported: dict[str, object]) -> None:
    result = check(exported["fp32"], "fp16", exported["reference"], exported["batch"])  # type: ignore[arg-type]
    assert not result.passed and result.weight_share == 0.0 and result.line().startswith("FAIL fp16")


def perturbed(path: Path, out: Path) -> Path:
    """A copy of the graph at `path` whose largest weight has half of its values' signs flipped."""
    model = onnx.load(str(path))
    biggest = max(model.graph.initializer, key=lambda t: int(np.prod(t.dims)))
    values = numpy_helper.to_array(biggest).copy()
    values.flat[: values.size // 2] *= -1
    biggest.CopyFrom(numpy_helper.from_array(values, biggest.name))
    onnx.save(model, str(out))
    return out


def test_a_perturbed_weight_fails_the_check(exported: dict[str, object], tmp_path: Path) -> None:
    bad = perturbed(exported["fp16"], tmp_path / "perturbed.onnx")  # type: ignore[arg-type]
    result = check(bad, "fp16", exported["reference"], exported["batch"])  # type: ignore[arg-type]
    assert not result.passed and result.relative_difference > TOLERANCE["fp16"], result.line()


def test_precision_shares_count_nodes_and_weight_bytes(exported: dict[str, object]) -> None:
    nodes, weights = precision_shares(exported["fp16"], "fp16")  # type: ignore[arg-type]
    assert 0.9 <= nodes <= 1.0 and 0.9 <= weights <= 1.0
    assert precision_shares(exported["fp32"], "fp32") == (1.0, 1.0)  # type: ignore[arg-type]


def test_the_export_command_checks_and_says_so(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "worker_gpu.export", "--model", "test_resnet", "--batch-size", "2",
                           "--precision", "fp16", "--out", str(tmp_path), "--check"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert (tmp_path / "model.onnx").exists()
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith("PASS fp16:") and "of weight bytes in fp16" in line and "max |onnx - torch fp32|" in line
    unknown = subprocess.run([sys.executable, "-m", "worker_gpu.export", "--model", "resnet5O", "--batch-size", "2"],
                             cwd=REPO, capture_output=True, text=True, timeout=300)
    assert unknown.returncode == 2 and "timm could not build 'resnet5O'" in unknown.stderr


def test_a_graph_onnxruntime_cannot_run_is_reported_unchecked_not_passed(tmp_path: Path) -> None:
    reference, fused = reference_and_fused("test_efficientnet", 160)
    path = export(fused, (2, 3, 160, 160), "bf16", tmp_path)
    result = check(path, "bf16", reference, torch.randn(2, 3, 160, 160))
    assert result.weight_share >= MIN_WEIGHT_SHARE["bf16"]  # AutoCast did convert it
    if result.relative_difference is None:  # today: no BF16 convolution in onnxruntime's CPU provider
        assert not result.passed and result.line().startswith("UNCHECKED bf16") and "cannot run it" in result.line()
    else:
        assert result.passed, result.line()


def test_a_deep_resnet_with_random_weights_is_fp16_throughout(tmp_path: Path) -> None:
    # AutoCast's default output threshold (512) kept two thirds of resnet50's weight bytes in FP32 here.
    reference, fused = reference_and_fused("resnet50", 224)
    path = export(fused, (1, 3, 224, 224), "fp16", tmp_path)
    nodes, weights = precision_shares(path, "fp16")
    assert weights >= 0.99 and nodes >= 0.99, (nodes, weights)


def test_bad_arguments_are_errors_not_tracebacks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from worker_gpu.export import main

    for argv in (["--batch-size", "0"], ["--batch-size", "-1"], ["--batch-size", "1", "--input-size", "7"]):
        with pytest.raises(SystemExit) as stopped:
            main(["--model", "test_resnet", *argv])
        assert stopped.value.code == 2 and "must be a whole number from" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:  # the negative control takes Q/DQ pairs out: only an INT8 graph has them
        main(["--model", "test_resnet", "--batch-size", "1", "--precision", "fp16", "--strip-qdq"])
    assert stopped.value.code == 2 and "use it with --precision int8" in capsys.readouterr().err
    (tmp_path / "a-file").write_text("")
    assert main(["--model", "test_resnet", "--batch-size", "1", "--out", str(tmp_path / "a-file" / "x")]) == 2
    assert main(["--model", "resnet5000", "--batch-size", "1"]) == 2
    assert "timm could not build 'resnet5000'" in capsys.readouterr().err


def test_a_model_is_built_with_the_same_weights_every_time_so_export_writes_the_engines_graph() -> None:
    from shared.ml.prepare import create

    state = torch.random.get_rng_state()
    first, second = create("test_vit", 160).state_dict(), create("test_vit", 160).state_dict()
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)
    assert torch.equal(torch.random.get_rng_state(), state)  # and the caller's random numbers are left alone
