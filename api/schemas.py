"""Request bodies the API accepts and the public shapes it answers with, named by role."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import SQLModel

from shared.catalog.accuracy import Accuracy
from shared.db.tables import JobSpec, ResultBase, RunBase
from shared.jobs.vocabulary import (
    DEFAULT_DURATION_S,
    DEFAULT_PRECISION,
    DEFAULT_REPEATS,
    ENGINES,
    MAX_SWEEP_MODELS,
    RANGES,
    BackendName,
    CalibrationName,
    EngineName,
    FamilyName,
    JobStatus,
    PrecisionName,
    engines_of,
)

MAX_OFFSET = 1_000_000_000  # paging past any real table; larger numbers would overflow the database's integers


def _ranged(name: str, default: float | None, description: str) -> Any:
    low, high = RANGES[name]
    return Field(default=default, ge=low, le=high, description=f"{low}-{high}; {description}")


class JobCreate(BaseModel):
    """A benchmark to run. Only `model` and `backend` are required; the rest follow the seed study."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="timm architecture, optionally with a pretrained tag: resnet50 or resnet50.tv_in1k",
                       min_length=1, max_length=200, examples=["resnet50"])
    backend: BackendName
    engine: EngineName | None = Field(
        default=None, description="; ".join(f"{e.name} ({e.backend}): {e.description}" for e in ENGINES.values()))
    precision: PrecisionName = Field(
        default=DEFAULT_PRECISION, description="auto (default): the engine's own choice, the CPU plugin's native precision "
        "(bf16 with AMX or AVX512-BF16, else fp32) or fp16 on the GPU; fp32, fp16 or bf16 force one; int8 (engines "
        "openvino and tensorrt) quantizes the model after training, calibrated on random inputs. A result's "
        "precision_used says what ran")
    calibration: CalibrationName | None = Field(
        default=None, description="precision int8 only: what activation ranges are calibrated on; random (the default) "
        "times the same as real images but leaves the accuracy unmeasured")
    batch_size: int | None = _ranged("batch_size", None, "default 1 on cpu, 256 on gpu")
    streams: int | None = _ranged("streams", None, "cpu only; default: the worker's physical cores "
                                  f"(engines {', '.join(engines_of('gpu'))} run one stream)")
    input_size: int | None = _ranged("input_size", None, "default: the model's own size")
    duration_s: float = _ranged("duration_s", DEFAULT_DURATION_S, "seconds of measuring, after a 2 s warm-up; the "
                                "stability gate extends it up to 3× while the last three windows disagree by more than 5 %")
    repeats: int = _ranged("repeats", DEFAULT_REPEATS["job"], "separate benchmark processes, combined into one result "
                           "with a 95 % confidence interval (one run: the interval is unknown)")
    cuda_graphs: bool = Field(default=False, description="engine torch only: replay each batch as a CUDA graph")
    worker: str | None = Field(default=None, min_length=1, max_length=200,
                               description="run only on this worker (a name from GET /workers)")
    hardware: str | None = Field(default=None, min_length=1, max_length=200,
                                 description="run only on a worker with this hardware label, e.g. NVIDIA H200")


class ModelCorrection(BaseModel):
    """A corrected accuracy figure for a catalog entry, with where it comes from."""

    model_config = ConfigDict(extra="forbid")

    top1: float = Field(ge=0, le=100, description="ImageNet-1k top-1, %")
    top5: float | None = Field(default=None, ge=0, le=100)
    img_size: int | None = _ranged("input_size", None, "the input size the figure was measured at (timm models only: a "
                                   "variant's input size is its kwargs.img_size)")
    source: str = Field(min_length=1, max_length=500, description="where the figure comes from: a paper, a URL, your own eval")


class VariantCreate(BaseModel):
    """A custom variant of a timm architecture, e.g. the seed study's LeViT-768*."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_]+$", examples=["levit_768_star"],
                      description="letters, digits and _ (no dot: a dot separates a pretrained tag)")
    base: str = Field(min_length=1, max_length=200, description="the timm architecture it is built from", examples=["levit_384"])
    kwargs: dict[str, Any] = Field(description="numeric and shape constructor arguments: widths and dims up to 16384, depths "
                                   "and layers up to 1000, heads and groups up to 1024, ratios up to 64, sizes in pixels")
    label: str | None = Field(default=None, max_length=100, pattern=r"^[A-Za-z0-9 _.,:+*#()/-]+$",
                              description="display name, e.g. LeViT-768*: letters, digits, spaces and _ . , : + * # ( ) / -")
    family: FamilyName | None = None
    top1: float | None = Field(default=None, ge=0, le=100)
    top5: float | None = Field(default=None, ge=0, le=100)
    source: str | None = Field(default=None, max_length=500)


class SuiteCreate(BaseModel):
    """A named set of benchmarks queued in one call."""

    model_config = ConfigDict(extra="forbid")

    name: Literal["seed"] = Field(default="seed", description="seed: the seed study's models and settings")
    backend: BackendName
    duration_s: float = _ranged("duration_s", DEFAULT_DURATION_S, "seconds of measuring per model")
    repeats: int = _ranged("repeats", DEFAULT_REPEATS["suite"], "benchmark processes per model, for confidence intervals")
    precision: PrecisionName = Field(default=DEFAULT_PRECISION, description="auto: the seed's (FP16 on the GPU, the CPU "
                                     "plugin's own on the CPU); int8 runs the seed study quantized, calibrated on random inputs")
    worker: str | None = Field(default=None, min_length=1, max_length=200, description="run every job on this worker")
    hardware: str | None = Field(default=None, min_length=1, max_length=200, description="run every job on this hardware")


BatchSize = Annotated[int, Field(ge=RANGES["batch_size"][0], le=RANGES["batch_size"][1])]
StreamCount = Annotated[int, Field(ge=RANGES["streams"][0], le=RANGES["streams"][1])]


class SweepCreate(BaseModel):
    """Models × batch sizes × streams, one job per point, to find each model's best configuration."""

    model_config = ConfigDict(extra="forbid")

    models: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=MAX_SWEEP_MODELS, examples=[["resnet50", "mobilenetv3_large_100"]],
        description="timm architectures (optionally with a tag) or custom variants")
    backend: BackendName
    batch_sizes: list[BatchSize] | None = Field(
        default=None, min_length=1, max_length=16,
        description="default: 1, 2, 4, 8, 16, 32 on cpu; 1, 8, 32, 64, 128, 256 on gpu")
    streams: list[StreamCount] | None = Field(
        default=None, min_length=1, max_length=16,
        description="cpu only; default: 1, half and all of the physical cores of the targeted worker (or the largest "
                    "connected one), without repeats")
    engine: EngineName | None = None
    precision: PrecisionName = DEFAULT_PRECISION
    duration_s: float = _ranged("duration_s", DEFAULT_DURATION_S, "seconds of measuring per point")
    repeats: int = _ranged("repeats", DEFAULT_REPEATS["sweep"], "benchmark processes per point")
    worker: str | None = Field(default=None, min_length=1, max_length=200, description="run every point on this worker")
    hardware: str | None = Field(default=None, min_length=1, max_length=200, description="run every point on this hardware")
    name: str = Field(default="sweep", min_length=1, max_length=100)


# --- what the API answers -----------------------------------------------------------------------------------------


class TagFigures(SQLModel):
    tag: str
    img_size: int | None
    figures: list[dict[str, Any]]
    correction: dict[str, Any] | None = None


class ModelPublic(Accuracy):
    """A model Speedboard can benchmark: a timm architecture or a custom variant, with the accuracy that applies."""

    name: str
    kind: Literal["timm", "variant"]
    label: str | None
    curated: bool
    seed: bool
    default_tag: str | None
    tag_names: list[str]
    input_size: int
    params_m: float | None
    corrected: bool
    base: str | None = None
    kwargs: dict[str, Any] | None = None
    tags: list[TagFigures] | None = None
    # A variant: pending until a CPU worker has counted its parameters, then ready (its jobs run) or refused (with the
    # reason: over the parameter limit, the constructor's error). timm models are ready.
    state: Literal["pending", "ready", "refused"] = "ready"
    reason: str | None = None


class ModelsPublic(SQLModel):
    items: list[ModelPublic]
    total: int


class ResultPublic(ResultBase, Accuracy):
    id: int
    job_id: str
    created_at: datetime
    runs: int  # this configuration's run number (1 = its first result)
    latest: bool
    suite_id: str | None
    run_ids: list[int] = []  # the repeats combined here: GET /results/{id}/runs
    # Why top1 (the published figure of the float model) is not this engine's own: "random calibration" for int8
    # calibrated on random inputs; None when the published figure applies.
    accuracy_unverified: str | None = None


class RunPublic(RunBase):
    """One repeat's own figures."""

    id: int
    job_id: str
    result_id: int | None
    repeat: int
    created_at: datetime


class RunsPublic(SQLModel):
    items: list[RunPublic]
    total: int


class JobPublic(JobSpec):
    id: str
    suite_id: str | None
    owner: str | None  # the name of the token that queued it; None with auth off
    target_worker: str | None
    target_hardware: str | None
    status: JobStatus
    stage: str | None
    progress: float
    attempts: int
    detail: str | None
    error: str | None
    worker: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: ResultPublic | None = None


class JobsPublic(SQLModel):
    items: list[JobPublic]
    total: int


class ResultsPublic(SQLModel):
    items: list[ResultPublic]
    total: int


class SuitePublic(SQLModel):
    id: str
    name: str
    backend: str
    repeats: int
    owner: str | None  # the name of the token that queued it; None with auth off
    created_at: datetime
    total: int
    counts: dict[str, int]
    finished: int
    done: bool
    progress: float
    chart_url: str
    jobs: list[dict[str, Any]]


class SuitesPublic(SQLModel):
    items: list[SuitePublic]
    total: int


class SweepPublic(SuitePublic):
    """A sweep's progress, with its axes as resolved and the points it skipped (each with the reason)."""

    models: list[str]
    batch_sizes: list[int]
    streams: list[int | None]  # None on the GPU: one stream
    streams_from: str | None  # whose physical cores the default streams follow
    engine: str
    precision: str
    duration_s: float
    skipped: list[dict[str, Any]]


class SweepsPublic(SQLModel):
    items: list[SweepPublic]
    total: int


class WorkerPublic(SQLModel):
    name: str
    backend: str
    hardware: str
    host: str
    state: str
    job_id: str | None
    queues: list[str]
    peak_gflops: dict[str, float]  # matrix-multiply peak per precision, measured by the worker at start
    peak_method: str | None  # what measured it (library, size, streams), or why it was not measured
    physical_cores: int | None  # CPU workers: cores without hyper-threads, what a sweep's default streams follow
    memory_gb: float | None  # the host's memory (CPU) or the device's (GPU)
    started_at: datetime
    last_heartbeat: datetime


class WorkersPublic(SQLModel):
    items: list[WorkerPublic]
    total: int
