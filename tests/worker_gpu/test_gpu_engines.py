"""The GPU engines' code around the GPU: the torch engine run on the CPU, engine-cache keys and invalidation,
error messages, and the promise that engine and timing code import with only torch and timm.

Tests that need CUDA or TensorRT are marked and skipped only where those are absent (no GPU in CI)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import types
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from shared.db.tables import ResultBase, RunBase
from shared.measurement.cache import cached
from shared.measurement.pipeline import BenchmarkError, BenchSpec, gpu_precision, run_benchmark
from shared.measurement.repeats import combine
from tests.conftest import REPO
from worker_gpu.cuda_timing import OutOfMemoryExplained
from worker_gpu.devices import CPU_LABEL
from worker_gpu.tensorrt_engine import engine_key, load_engine, parser_errors, unsupported_operator_message

HAS_CUDA = torch.cuda.is_available()
HAS_TENSORRT = importlib.util.find_spec("tensorrt") is not None
SPEC = BenchSpec(model="test_resnet", pretrained_tag=None, backend="gpu", engine="torch", precision="fp32", batch_size=2,
                 streams=1, input_size=160, duration_s=1.0, cache_dir=Path("/nonexistent"), device="cpu")


def test_the_torch_engine_measures_on_the_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPEEDBOARD_GPU_DEVICE", "cpu")
    stages: list[str] = []
    measured = run_benchmark(SPEC, lambda stage, _: stages.append(stage), lambda: False)
    run, result = measured["run"], measured["described"]
    assert run["throughput"] > 0 and run["iterations"] >= 20 and result["batch_size"] == 2
    assert (result["engine"], result["precision_used"], result["hardware"]) == ("torch", "fp32", CPU_LABEL)
    assert set(run) == set(RunBase.model_fields)  # exactly what the run table stores
    assert set(combine([run], [result], {})) == set(ResultBase.model_fields)  # and, combined, the result table
    # No converted artifact, and no device memory off CUDA: unknown, not zero.
    assert run["artifact_mb"] is None and run["device_memory_mb"] is None and run["peak_rss_mb"] > 0
    assert result["hardware_detail"]["device"] == "cpu" and result["versions"]["torch"]
    assert stages[:2] == ["preparing", "building engine"] and "measuring" in stages


def test_out_of_memory_says_to_use_a_smaller_batch() -> None:
    with pytest.raises(BenchmarkError, match="out of GPU memory at batch size 256; try a smaller batch, e.g. batch_size 128"):
        with OutOfMemoryExplained(256):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    with pytest.raises(ValueError):  # anything else passes through unchanged
        with OutOfMemoryExplained(256):
            raise ValueError("not memory")


def test_engine_keys_change_with_everything_that_changes_an_engine() -> None:
    spec = replace(SPEC, engine="tensorrt", precision="fp16", batch_size=256, input_size=224)
    base = engine_key(spec, "11.4.0.106", "NVIDIA H200", "9.0")
    variants = [
        engine_key(replace(spec, model="resnet50"), "11.4.0.106", "NVIDIA H200", "9.0"),
        engine_key(replace(spec, batch_size=128), "11.4.0.106", "NVIDIA H200", "9.0"),
        engine_key(replace(spec, input_size=256), "11.4.0.106", "NVIDIA H200", "9.0"),
        engine_key(replace(spec, precision="bf16"), "11.4.0.106", "NVIDIA H200", "9.0"),
        engine_key(spec, "11.3.0.99", "NVIDIA H200", "9.0"),
        engine_key(spec, "11.4.0.106", "NVIDIA H100 80GB HBM3", "9.0"),
        engine_key(spec, "11.4.0.106", "NVIDIA H200", "10.0"),
        engine_key(replace(spec, base_model="test_resnet", model_kwargs={"layers": [1, 1, 1, 1]}), "11.4.0.106",
                   "NVIDIA H200", "9.0"),
    ]
    assert len({base, *variants}) == len(variants) + 1
    assert engine_key(replace(spec, precision="auto"), "11.4.0.106", "NVIDIA H200", "9.0") == base  # auto is fp16
    timed_longer = replace(spec, duration_s=30)
    assert engine_key(timed_longer, "11.4.0.106", "NVIDIA H200", "9.0") == base  # timing is not the engine


def test_a_damaged_cache_entry_is_built_again(tmp_path: Path) -> None:
    # The engine module's recovery: remove the folder whose engine would not deserialize, then `cached` builds anew.
    builds: list[int] = []

    def build(folder: Path) -> dict[str, int]:
        builds.append(1)
        (folder / "engine.plan").write_bytes(b"engine %d" % len(builds))
        return {"build": len(builds)}

    folder, meta, hit = cached(tmp_path, "key", build)
    assert (meta, hit) == ({"build": 1}, False)
    assert cached(tmp_path, "key", build)[1:] == ({"build": 1}, True)
    import shutil

    shutil.rmtree(folder)
    folder, meta, hit = cached(tmp_path, "key", build)
    assert (meta, hit, (folder / "engine.plan").read_bytes()) == ({"build": 2}, False, b"engine 2")


def fake_tensorrt(plans: dict[bytes, str | None]) -> types.ModuleType:
    """A FAKE `tensorrt` module (TensorRT cannot be installed here): a runtime that deserializes a plan to the
    engine `plans` names, or logs an error and returns None as TensorRT does."""
    trt = types.ModuleType("tensorrt")

    class ILogger:
        class Severity:
            ERROR, INTERNAL_ERROR = "error", "internal error"

        def __init__(self) -> None:
            pass

    class Runtime:
        def __init__(self, logger: ILogger) -> None:
            self.logger = logger

        def deserialize_cuda_engine(self, plan: bytes) -> str | None:
            if plans.get(plan) is None:
                self.logger.log(ILogger.Severity.ERROR, plan.decode())
            return plans.get(plan)

    trt.ILogger, trt.Runtime = ILogger, Runtime  # type: ignore[attr-defined]
    return trt


def test_an_engine_is_loaded_rebuilt_or_said_to_need_a_smaller_batch(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tensorrt", fake_tensorrt({b"good": "engine"}))
    plan = tmp_path / "engine.plan"
    assert load_engine(plan, 256) is None  # missing (an interrupted cache entry): built again
    plan.write_bytes(b"good")
    assert load_engine(plan, 256) == "engine"
    plan.write_bytes(b"Serialization assertion failed: version tag")
    assert load_engine(plan, 256) is None  # damaged or another TensorRT's: built again
    plan.write_bytes(b"Requested amount of GPU memory (80 GiB) could not be allocated")
    with pytest.raises(BenchmarkError, match="out of GPU memory at batch size 256; try a smaller batch, e.g. batch_size 128"):
        load_engine(plan, 256)


class FakeParserError:
    """A FAKE of TensorRT's IParserError (TensorRT cannot be installed here): only the message format is tested."""

    def __init__(self, operator: str, node: str, desc: str) -> None:
        self.operator, self.node, self.text = operator, node, desc

    def node_operator(self) -> str:
        return self.operator

    def node_name(self) -> str:
        return self.node

    def desc(self) -> str:
        return self.text


class FakeParser:
    """A FAKE of TensorRT's OnnxParser error list."""

    def __init__(self, *errors: FakeParserError) -> None:
        self.errors = errors
        self.num_errors = len(errors)

    def get_error(self, index: int) -> FakeParserError:
        return self.errors[index]


def test_an_unsupported_operator_is_named() -> None:
    details = parser_errors(FakeParser(FakeParserError("GridSample3D", "/blocks/0/GridSample", "no importer registered")))
    message = unsupported_operator_message(details)
    assert "operator GridSample3D (node /blocks/0/GridSample): no importer registered" in message
    assert "try the torch engine" in message
    assert parser_errors(FakeParser()) == "the ONNX parser gave no reason"


BLOCKED = """
import importlib.abc, sys
BLOCKED = {"pydantic", "sqlmodel", "sqlalchemy", "celery", "kombu", "fastapi", "openvino", "modelopt", "redis", "psycopg"}
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is not installed on the GPU machine")
sys.meta_path.insert(0, Refuse())
import os; os.environ["SPEEDBOARD_GPU_DEVICE"] = "cpu"
from pathlib import Path
from shared.measurement.pipeline import BenchSpec, run_benchmark
import worker_gpu.tensorrt_engine, worker_gpu.torch_engine, worker_gpu.cuda_timing
spec = BenchSpec(model="test_resnet", pretrained_tag=None, backend="gpu", engine="torch", precision="fp32",
                 batch_size=2, streams=1, input_size=160, duration_s=1.0, cache_dir=Path("/nonexistent"), device="cpu")
print("THROUGHPUT", run_benchmark(spec, lambda *_: None, lambda: False)["run"]["throughput"])
"""


def test_engine_and_timing_code_import_with_only_torch_and_timm() -> None:
    done = subprocess.run([sys.executable, "-c", BLOCKED], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert float(done.stdout.split("THROUGHPUT")[1]) > 0


@pytest.mark.skipif(not (HAS_CUDA and HAS_TENSORRT), reason="needs a CUDA GPU and TensorRT (not on CI machines)")
def test_tensorrt_builds_caches_and_runs_an_engine(tmp_path: Path) -> None:
    spec = replace(SPEC, engine="tensorrt", precision="fp16", device="cuda", cache_dir=tmp_path)
    first = run_benchmark(spec, lambda *_: None, lambda: False)
    second = run_benchmark(spec, lambda *_: None, lambda: False)["run"]
    run, described = first["run"], first["described"]
    assert run["throughput"] > 0 and not run["cache_hit"] and second["cache_hit"]
    assert described["hardware_detail"]["engine"]["engine_mb"] > 0 and described["versions"]["tensorrt"].startswith("11.")
    assert run["artifact_mb"] > 0 and run["device_memory_mb"] > 0


@pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA GPU (not on CI machines)")
def test_the_torch_engine_on_cuda_with_and_without_graphs() -> None:
    for graphs in (False, True):
        result = run_benchmark(replace(SPEC, device="cuda", precision="fp16", cuda_graphs=graphs), lambda *_: None,
                               lambda: False)
        assert result["run"]["throughput"] > 0 and result["described"]["hardware_detail"]["engine"]["cuda_graphs"] is graphs
        assert result["run"]["device_memory_mb"] > 0  # torch's allocator peak while measuring


def test_the_gpu_yardstick_script_runs_on_the_cpu() -> None:
    done = subprocess.run([sys.executable, "benchmarks/gpu_torch_vs_loop.py", "--device", "cpu", "--models", "test_resnet",
                           "--batch-size", "2", "--precision", "fp32", "--duration", "1", "--rounds", "1"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "test_resnet" in done.stdout and "ratio" in done.stdout and "plain loop" in done.stdout


def test_auto_means_fp16_on_the_gpu_engines() -> None:
    from worker_gpu.torch_engine import DTYPES

    assert gpu_precision("auto") == "fp16" and DTYPES[gpu_precision("auto")] is torch.float16
    assert [gpu_precision(p) for p in ("fp32", "fp16", "bf16")] == ["fp32", "fp16", "bf16"]
