"""The benchmark pipeline every engine goes through: prepare, warm up, measure, describe.

Runs in the benchmark process the worker spawns. Imports no database, broker or web code, so
it runs wherever torch and the engine's library are installed.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from shared.measurement.hardware import host
from shared.measurement.timing import Runnable, measure

Report = Callable[[str, float], None]

ENGINE_MODULES = {"openvino": "worker_cpu.openvino_engine", "tensorrt": "worker_gpu.tensorrt_engine",
                  "torch": "worker_gpu.torch_engine"}


GPU_AUTO_PRECISION = "fp16"  # `auto` on the GPU engines: the seed's setting (TensorRT 11 needs it named in the graph)


def gpu_precision(precision: str) -> str:
    """The precision a GPU engine builds for: `auto` means fp16; fp32, fp16 and bf16 mean themselves."""
    return GPU_AUTO_PRECISION if precision == "auto" else precision


class BenchmarkError(Exception):
    """A failure the user can act on; the message says what happened and what to do."""


@dataclass(frozen=True)
class BenchSpec:
    model: str
    pretrained_tag: str | None
    backend: str
    engine: str
    precision: str
    batch_size: int
    streams: int
    input_size: int
    duration_s: float
    cache_dir: Path
    base_model: str | None = None  # a custom variant: timm builds base_model with model_kwargs
    model_kwargs: dict[str, Any] | None = None
    device: str = ""  # GPU engines: the torch device ("cuda", or "cpu" to run their code path without a GPU)
    cuda_graphs: bool = False
    build_limit_s: float = 900.0  # TensorRT engine builds that take longer are cancelled


@dataclass
class PreparedEngine:
    runnable: Runnable
    streams: int
    precision_used: str
    cache_hit: bool
    params_m: float
    gflops: float
    hardware: str
    hardware_detail: dict[str, Any]
    versions: dict[str, str]
    details: dict[str, Any] = field(default_factory=dict)


class EngineModule(Protocol):
    def prepare(self, spec: BenchSpec, report: Report) -> PreparedEngine: ...


def load_engine(name: str) -> EngineModule:
    if name not in ENGINE_MODULES:
        raise BenchmarkError(f"engine {name!r} is not available on this worker; use one of {sorted(ENGINE_MODULES)}")
    module: EngineModule = importlib.import_module(ENGINE_MODULES[name])  # type: ignore[assignment]
    return module


def run_benchmark(spec: BenchSpec, report: Report, should_stop: Callable[[], bool]) -> dict[str, Any]:
    """Prepare the engine, measure it, and return the result's fields (all but job_id and created_at)."""
    started = time.perf_counter()
    report("preparing", 0.0)
    prepared = load_engine(spec.engine).prepare(spec, report)
    prepare_s = time.perf_counter() - started
    measurement = measure(prepared.runnable, spec.duration_s, report, should_stop)
    return {
        "model": spec.model,
        "pretrained_tag": spec.pretrained_tag,
        "backend": spec.backend,
        "engine": spec.engine,
        "throughput": measurement.throughput,
        "latency_ms": measurement.latency_ms,
        "stable": measurement.stable,
        "windows": measurement.windows,
        "iterations": measurement.iterations,
        "duration_s": measurement.duration_s,
        "batch_size": spec.batch_size,
        "streams": prepared.streams,
        "precision": spec.precision,
        "precision_used": prepared.precision_used,
        "input_size": spec.input_size,
        "params_m": prepared.params_m,
        "gflops": prepared.gflops,
        "prepare_s": prepare_s,
        "cache_hit": prepared.cache_hit,
        "hardware": prepared.hardware,
        "hardware_detail": prepared.hardware_detail | {"engine": prepared.details},
        "host": host(),
        "versions": prepared.versions,
    }
