"""The benchmark pipeline every engine goes through: prepare, warm up, measure, describe.

Runs in the benchmark process the worker spawns. Imports no database, broker, web or validation library
(not even pydantic), so it runs wherever torch and the engine's library are installed: a bare GPU machine too.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from shared import SpeedboardError
from shared.catalog.names import parse_model_name
from shared.catalog.variants import check_kwargs
from shared.jobs.memory import need, too_big
from shared.jobs.vocabulary import (
    AUTO_PRECISION_ON_GPU,
    CALIBRATIONS,
    DEFAULT_DURATION_S,
    DEFAULT_PRECISION,
    ENGINES,
    check_precision,
)
from shared.measurement.hardware import host, memory_gb
from shared.measurement.memory import peak_rss_mb, reset_peak_rss
from shared.measurement.timing import Runnable, measure

Report = Callable[[str, float], None]

# Bump whenever the way of measuring changes (warm-up, windows, statistics, what an engine times): every result
# records it, and the chart's hover and the CSV show it. 2: the stability gate, repeats, memory while measuring.
METHOD_VERSION = 2


def gpu_precision(precision: str) -> str:
    """The precision a GPU engine builds for: `auto` means fp16; fp32, fp16, bf16 and int8 mean themselves."""
    return AUTO_PRECISION_ON_GPU if precision == "auto" else precision


class BenchmarkError(SpeedboardError):
    """A failure the user can act on; the message says what happened and what to do. Ends the job as failed."""

    status = 422


@dataclass(frozen=True)
class BenchSpec:
    """The job's spec as the benchmark process runs it: the fields of shared.db.tables.JobSpec, by the same names
    and defaults (the worker fills them by name; a test holds the two together), then what the worker decides.

    A plain dataclass, not the JobSpec model itself: this process must run without pydantic (see the module)."""

    model: str
    backend: str
    engine: str
    pretrained_tag: str | None = None
    precision: str = DEFAULT_PRECISION
    batch_size: int = 1
    streams: int = 1  # resolved by the worker: its physical cores when a CPU job left it open
    input_size: int = 224
    duration_s: float = DEFAULT_DURATION_S
    repeats: int = 1  # the worker runs this process once per repeat; each process measures once
    base_model: str | None = None  # a custom variant: timm builds base_model with model_kwargs
    model_kwargs: dict[str, Any] | None = None
    cuda_graphs: bool = False
    calibration: str | None = None  # int8: what activation ranges are calibrated on ("random"); None otherwise
    # Decided by the worker, not the job:
    cache_dir: Path = Path("data/cache")
    device: str = ""  # GPU engines: the torch device ("cuda", or "cpu" to run their code path without a GPU)
    build_limit_s: float = 900.0  # TensorRT engine builds that take longer are cancelled
    cache_max_gb: float = 20.0  # the cache folder's cap, kept after writing a new entry (0: no cap)

    @classmethod
    def from_json(cls, text: str) -> BenchSpec:
        raw = json.loads(text)
        return cls(**raw | {"cache_dir": Path(raw["cache_dir"])})

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=str)


RUNTIME_FIELDS = ("cache_dir", "device", "build_limit_s", "cache_max_gb")  # BenchSpec's fields that are not the job's


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
    artifact_mb: float | None = None  # the converted model or engine on disk; None when the engine converts nothing
    # Device memory the engine used while measuring, read after it (GPU engines); None where unknown.
    device_memory_mb: Callable[[], float | None] = lambda: None


class EngineModule(Protocol):
    def prepare(self, spec: BenchSpec, report: Report) -> PreparedEngine: ...


def load_engine(name: str) -> EngineModule:
    """The engine's module, found by name in the vocabulary's engine table (no wing of shared imports a worker)."""
    if name not in ENGINES:
        raise BenchmarkError(f"engine {name!r} is not available on this worker; use one of {sorted(ENGINES)}")
    module: EngineModule = importlib.import_module(ENGINES[name].module)  # type: ignore[assignment]
    return module


def check_spec(spec: BenchSpec) -> None:
    """What the API checked, checked again where it runs: a job queued by hand or by an older API must not build
    a precision its engine has not (an int8 torch job would otherwise time FP32 and call it int8), nor start on a
    CPU whose memory its inputs alone exceed, nor name a model or kwargs that would make timm read a file or download."""
    try:
        parse_model_name(spec.model if spec.pretrained_tag is None else f"{spec.model}.{spec.pretrained_tag}")
        if spec.base_model is not None:
            parse_model_name(spec.base_model)
        if spec.model_kwargs is not None:
            check_kwargs(spec.model_kwargs)
    except SpeedboardError as error:
        raise BenchmarkError(f"{error.message}; queue the job again through the API") from error
    if (why := check_precision(spec.engine, spec.precision)) is not None:
        raise BenchmarkError(f"{why}; queue it again with one of those engines or another precision")
    if spec.calibration not in (CALIBRATIONS if spec.precision == "int8" else (None,)):
        raise BenchmarkError(f"calibration {spec.calibration!r} does not fit precision {spec.precision}: int8 jobs name "
                             f"theirs ({', '.join(CALIBRATIONS)}), other precisions none; queue the job again through the API")
    if spec.backend == "cpu":  # the API judged the largest machine it knew of; this one may be smaller
        why = too_big(need(spec.batch_size, spec.input_size, spec.streams, None), memory_gb(), "this machine")
        if why:
            raise BenchmarkError(f"{spec.model} cannot fit in memory here: {why}; queue it with a smaller batch_size, "
                                 "input_size or streams")


def run_benchmark(spec: BenchSpec, report: Report, should_stop: Callable[[], bool]) -> dict[str, Any]:
    """Prepare the engine, measure it once, and return one run's figures and what it ran on (shared.db.tables.RunBase
    and ResultBase's descriptive fields, by name; the worker combines its repeats into the result)."""
    started = time.perf_counter()
    report("preparing", 0.0)
    engine = load_engine(spec.engine)
    check_spec(spec)
    prepared = engine.prepare(spec, report)
    prepare_s = time.perf_counter() - started
    # Memory while measuring, not while converting: the high-water mark starts again from here.
    rss_reset = reset_peak_rss()
    measurement = measure(prepared.runnable, spec.duration_s, report, should_stop)
    asked = {name: getattr(spec, name) for name in RESULT_FROM_SPEC}
    run = {"throughput": measurement.throughput, "latency_ms": measurement.latency_ms, "stable": measurement.stable,
           "stable_after_s": measurement.stable_after_s, "windows": measurement.windows, "window_s": measurement.window_s,
           "iterations": measurement.iterations, "duration_s": measurement.duration_s, "prepare_s": prepare_s,
           "cache_hit": prepared.cache_hit, "peak_rss_mb": peak_rss_mb() if rss_reset else None,
           "device_memory_mb": prepared.device_memory_mb(), "artifact_mb": prepared.artifact_mb}
    described = {"streams": prepared.streams, "precision_used": prepared.precision_used, "params_m": prepared.params_m,
                 "gflops": prepared.gflops, "hardware": prepared.hardware,
                 "hardware_detail": prepared.hardware_detail | {"engine": prepared.details},
                 "versions": prepared.versions, "host": host(), "method_version": METHOD_VERSION}
    return {"run": run, "described": asked | described}


# What a result repeats from the job's spec as asked; the rest is measured or described by the engine.
RESULT_FROM_SPEC = ("model", "pretrained_tag", "backend", "engine", "precision", "batch_size", "input_size", "cuda_graphs",
                    "calibration")
