"""What a job may ask for, defined once: backends, engines (and the module implementing each), precisions,
statuses, model families, numeric ranges and defaults.

The request schemas, validation, engine loading, the export command and the chart page (through
GET /vocabulary) all read these; nothing else spells them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

BackendName = Literal["cpu", "gpu"]
EngineName = Literal["openvino", "tensorrt", "torch"]
PrecisionName = Literal["auto", "fp32", "fp16", "bf16", "int8"]  # asked; auto is the engine's own choice
RanPrecision = Literal["fp32", "fp16", "bf16", "int8"]  # what an engine computed in: a result's precision_used
CalibrationName = Literal["random"]  # what an int8 engine's activation ranges were calibrated on
JobStatus = Literal["queued", "running", "cancelling", "succeeded", "failed", "cancelled"]
FamilyName = Literal["CNN", "transformer", "mobile", "MLP", "hybrid"]

BACKENDS: tuple[str, ...] = get_args(BackendName)
PRECISIONS: tuple[str, ...] = get_args(PrecisionName)
RAN_PRECISIONS: tuple[str, ...] = get_args(RanPrecision)
STATUSES: tuple[str, ...] = get_args(JobStatus)
TERMINAL: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})
FAMILIES: tuple[str, ...] = get_args(FamilyName)
CALIBRATIONS: tuple[str, ...] = get_args(CalibrationName)


@dataclass(frozen=True)
class Engine:
    name: str
    backend: str
    module: str  # imported by name in the benchmark process, so no wing of shared imports a worker package
    description: str
    precisions: tuple[str, ...] = PRECISIONS  # the precisions it builds (asked: auto, fp32, ...)


# The first engine of a backend is its default.
ENGINES: dict[str, Engine] = {engine.name: engine for engine in (
    Engine("openvino", "cpu", "worker_cpu.openvino_engine", "OpenVINO on the CPU (default for cpu)"),
    Engine("tensorrt", "gpu", "worker_gpu.tensorrt_engine", "TensorRT (default for gpu)"),
    Engine("torch", "gpu", "worker_gpu.torch_engine", "PyTorch on CUDA, optionally replayed as CUDA graphs",
           precisions=("auto", "fp32", "fp16", "bf16")),  # int8 needs a quantizer and kernels: OpenVINO's and TensorRT's
)}
AUTO_PRECISION_ON_GPU = "fp16"  # the seed's setting; TensorRT 11 is strongly typed, so `auto` must name one there


# INT8: the engine quantizes the converted model (OpenVINO: NNCF post-training quantization of the IR; TensorRT: ModelOpt's
# explicit Q/DQ nodes in the ONNX), calibrating activation ranges on CALIBRATION_IMAGES inputs. "random": normal noise,
# which times the same as real images but says nothing of accuracy (a result records its calibration).
DEFAULT_CALIBRATION = "random"
CALIBRATION_IMAGES = 300
# A result's precision_used is int8 only when at least this share of its convolutions and matrix multiplications
# run quantized (read back from OpenVINO's runtime model; for TensorRT, the Q/DQ coverage of the ONNX graph it is
# built from); the share itself is in hardware_detail["int8_layer_share"].
MIN_INT8_LAYER_SHARE = 0.5


def engines_of(backend: str) -> tuple[str, ...]:
    return tuple(name for name, engine in ENGINES.items() if engine.backend == backend)


def default_engine(backend: str) -> str:
    return engines_of(backend)[0]


def check_precision(engine: str, precision: str) -> str | None:
    """Why `engine` cannot build `precision` (a sentence that says which engines can), or None when it can."""
    if precision in ENGINES[engine].precisions:
        return None
    able = [name for name, e in ENGINES.items() if precision in e.precisions]
    return (f"precision {precision} is built by the {' and '.join(able)} engine{'s' if len(able) > 1 else ''}, not by "
            f"{engine} (which has {', '.join(ENGINES[engine].precisions)})")


# The numeric ranges a job's settings must fall in (inclusive).
RANGES: dict[str, tuple[int, int]] = {
    "batch_size": (1, 4096),
    "streams": (1, 256),
    "input_size": (32, 1024),
    "duration_s": (1, 600),
    "repeats": (1, 10),
}
DEFAULT_BATCH: dict[str, int] = {"cpu": 1, "gpu": 256}
DEFAULT_DURATION_S = 10.0
DEFAULT_PRECISION = "auto"
# A suite's points are compared with each other: intervals by default. A sweep has many points: one run each.
DEFAULT_REPEATS = {"job": 1, "suite": 3, "sweep": 1}
# A sweep's axes when not given (streams: 1, half and all of the targeted worker's physical cores, on the CPU only).
SWEEP_BATCH_SIZES: dict[str, tuple[int, ...]] = {"cpu": (1, 2, 4, 8, 16, 32), "gpu": (1, 8, 32, 64, 128, 256)}
MAX_SWEEP_POINTS = 500  # models × batch sizes × streams in one sweep
MAX_SWEEP_MODELS = 100
# How long measuring can take (shared.measurement.timing): a warm-up, then duration_s, extended by the stability gate
# up to MAX_EXTENSION × duration_s. The API bounds a job's worst case with them.
WARMUP_S = 2.0
MAX_EXTENSION = 3.0


def vocabulary() -> dict[str, object]:
    """All of the above as plain JSON, for the chart page and other clients (GET /vocabulary)."""
    return {
        "backends": list(BACKENDS),
        "engines": [{"name": e.name, "backend": e.backend, "default": default_engine(e.backend) == e.name,
                     "description": e.description, "precisions": list(e.precisions)} for e in ENGINES.values()],
        "precisions": list(PRECISIONS), "ran_precisions": list(RAN_PRECISIONS), "auto_precision_on_gpu": AUTO_PRECISION_ON_GPU,
        "calibrations": list(CALIBRATIONS),
        "quantization": {"calibration": DEFAULT_CALIBRATION, "calibration_images": CALIBRATION_IMAGES,
                         "min_int8_layer_share": MIN_INT8_LAYER_SHARE},
        "statuses": list(STATUSES), "terminal": sorted(TERMINAL), "families": list(FAMILIES),
        "ranges": {name: {"min": low, "max": high} for name, (low, high) in RANGES.items()},
        "defaults": {"batch_size": DEFAULT_BATCH, "duration_s": DEFAULT_DURATION_S, "precision": DEFAULT_PRECISION,
                     "repeats": DEFAULT_REPEATS, "sweep_batch_sizes": SWEEP_BATCH_SIZES},
        "sweeps": {"max_points": MAX_SWEEP_POINTS, "max_models": MAX_SWEEP_MODELS},
        "measuring": {"warmup_s": WARMUP_S, "max_extension": MAX_EXTENSION},
    }
