"""The benchmark pipeline every engine goes through: prepare, warm up, measure, describe.

Runs in the benchmark process the worker spawns. It takes the job's spec and returns the result's fields,
both shapes from shared.db.tables (plain pydantic models there: this process never opens a database, broker
or web connection), so it runs wherever torch and the engine's library are installed.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import ConfigDict

from shared import SpeedboardError
from shared.db.tables import JobSpec, ResultBase
from shared.jobs.vocabulary import AUTO_PRECISION_ON_GPU, ENGINES
from shared.measurement.hardware import host
from shared.measurement.timing import Runnable, measure

Report = Callable[[str, float], None]

# Bump whenever the way of measuring changes (warm-up, windows, statistics, what an engine times): every result
# records it, and the chart's hover and the CSV show it.
METHOD_VERSION = 1


def gpu_precision(precision: str) -> str:
    """The precision a GPU engine builds for: `auto` means fp16; fp32, fp16 and bf16 mean themselves."""
    return AUTO_PRECISION_ON_GPU if precision == "auto" else precision


class BenchmarkError(SpeedboardError):
    """A failure the user can act on; the message says what happened and what to do. Ends the job as failed."""

    status = 422


class BenchSpec(JobSpec):
    """The job's spec as the benchmark process runs it: every job field (streams resolved), plus where and how."""

    model_config = ConfigDict(frozen=True)

    streams: int  # resolved: the worker's physical cores when the job left it open
    cache_dir: Path
    device: str = ""  # GPU engines: the torch device ("cuda", or "cpu" to run their code path without a GPU)
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
    """The engine's module, found by name in the vocabulary's engine table (no wing of shared imports a worker)."""
    if name not in ENGINES:
        raise BenchmarkError(f"engine {name!r} is not available on this worker; use one of {sorted(ENGINES)}")
    module: EngineModule = importlib.import_module(ENGINES[name].module)  # type: ignore[assignment]
    return module


def run_benchmark(spec: BenchSpec, report: Report, should_stop: Callable[[], bool]) -> dict[str, Any]:
    """Prepare the engine, measure it, and return the result's fields (ResultBase: all but job, time and run)."""
    started = time.perf_counter()
    report("preparing", 0.0)
    prepared = load_engine(spec.engine).prepare(spec, report)
    prepare_s = time.perf_counter() - started
    measurement = measure(prepared.runnable, spec.duration_s, report, should_stop)
    asked = spec.model_dump(include=set(ResultBase.model_fields) - {"streams", "duration_s"})
    measured = {"throughput": measurement.throughput, "latency_ms": measurement.latency_ms,
                "stable": measurement.stable, "windows": measurement.windows, "iterations": measurement.iterations,
                "duration_s": measurement.duration_s}
    described = {"streams": prepared.streams, "precision_used": prepared.precision_used, "params_m": prepared.params_m,
                 "gflops": prepared.gflops, "cache_hit": prepared.cache_hit, "hardware": prepared.hardware,
                 "hardware_detail": prepared.hardware_detail | {"engine": prepared.details},
                 "versions": prepared.versions}
    result = ResultBase.model_validate(asked | measured | described | {
        "prepare_s": prepare_s, "host": host(), "method_version": METHOD_VERSION})
    return result.model_dump()
