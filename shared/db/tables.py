"""The database tables, and the job spec and result shapes they are built from (named by role).

Imports no other wing: the vocabulary that says which values are valid lives in shared.jobs.vocabulary.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, also on SQLite (which hands datetimes back naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def _ts(index: bool = False) -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=index))


def _optional_ts() -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class JobSpec(SQLModel):
    """What to benchmark, fully resolved except `streams` (the worker's own cores when None)."""

    model: str
    pretrained_tag: str | None = None
    backend: str
    engine: str
    precision: str = "auto"  # what was asked; a result's precision_used says what ran
    batch_size: int = 1
    streams: int | None = None
    input_size: int = 224
    duration_s: float = 10.0
    repeats: int = 1  # separate benchmark processes, combined into one result with confidence intervals
    # A custom variant (POST /models) builds `base_model` with `model_kwargs`; `model` is then the variant's name.
    base_model: str | None = None
    model_kwargs: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    cuda_graphs: bool = False  # engine torch: replay each batch as a CUDA graph
    calibration: str | None = None  # precision int8: what activation ranges are calibrated on ("random"); else None


class Job(JobSpec, table=True):
    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True)
    queue: str = Field(index=True)
    status: str = Field(default="queued", index=True)
    stage: str | None = None
    progress: float = 0.0
    attempts: int = 0
    detail: str | None = None
    error: str | None = None
    last_failure: str | None = None
    worker: str | None = None
    # Where the job may run: a named worker or a hardware label (its `queue` follows from them), else any worker.
    target_worker: str | None = None
    target_hardware: str | None = None
    suite_id: str | None = Field(default=None, index=True)
    owner: str | None = Field(default=None, index=True)  # the name of the token that created it; None with auth off
    created_at: datetime = _ts(index=True)
    updated_at: datetime = _ts()
    published_at: datetime | None = _optional_ts()
    started_at: datetime | None = _optional_ts()
    heartbeat_at: datetime | None = _optional_ts()
    finished_at: datetime | None = _optional_ts()


class RunBase(SQLModel):
    """One repeat of a job: one benchmark process's own measurement (what the pipeline returns as `run`)."""

    throughput: float
    latency_ms: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    stable: bool  # the stability gate passed
    stable_after_s: float | None = None  # seconds of measuring when it passed; None when it never did
    windows: list[float] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    window_s: float | None = None
    iterations: int
    duration_s: float
    prepare_s: float
    cache_hit: bool
    peak_rss_mb: float | None = None  # the benchmark process's peak resident set while measuring
    device_memory_mb: float | None = None  # GPU engines: device memory the engine used; None where unknown
    artifact_mb: float | None = None  # the converted model or engine on disk; None when nothing is converted


class Run(RunBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(index=True)
    result_id: int | None = Field(default=None, index=True)
    repeat: int  # 1, 2, ... in the order they ran
    created_at: datetime = _ts()


class ResultBase(SQLModel):
    """What one job measured and on what: its repeats combined (means, 95 % intervals, spread), and the machine."""

    model: str
    pretrained_tag: str | None = None
    backend: str
    engine: str
    throughput: float  # the mean over the job's repeats
    # [low, high] by Student's t over the repeats; None with one run (unknown, not zero).
    throughput_ci95: list[float] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    throughput_cv: float | None = None  # standard deviation / mean over the repeats; None with one run
    latency_ms: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # means
    latency_ci95: dict[str, list[float] | None] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    latency_cv: dict[str, float | None] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    repeats: int = 1  # runs combined here (each in the run table)
    stable: bool  # every run passed the stability gate
    stable_after_s: float | None = None  # the slowest run's; None when a run never became stable
    windows: list[float] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # every run's, in order
    iterations: int  # over all runs
    duration_s: float  # seconds measured, over all runs
    batch_size: int
    streams: int
    precision: str
    precision_used: str
    input_size: int
    cuda_graphs: bool = False  # engine torch: each batch replayed as a CUDA graph
    calibration: str | None = None  # precision int8: what activation ranges were calibrated on; accuracy unmeasured if random
    params_m: float
    gflops: float  # per image
    achieved_gflops: float | None = None  # gflops × throughput
    peak_share: float | None = None  # achieved_gflops / the worker's measured matmul peak in precision_used
    peak_rss_mb: float | None = None  # the largest of the runs'
    device_memory_mb: float | None = None
    artifact_mb: float | None = None
    prepare_s: float  # the first run's (a conversion or engine build, when not cached, is in it)
    cache_hit: bool  # the first run's
    hardware: str
    hardware_detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    host: str
    versions: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Bumped whenever the way of measuring changes (shared.measurement.pipeline.METHOD_VERSION); not part of the
    # configuration: a newer method's run is the newest run of the same point, and says so.
    method_version: int = 1


class Result(ResultBase, table=True):
    __table_args__ = (
        UniqueConstraint("job_id", name="uq_result_job_id"),
        Index("ix_result_backend_created", "backend", "created_at"),
        Index("ix_result_model", "model"),
        Index("ix_result_hardware", "hardware"),
        Index("ix_result_engine", "engine"),
        Index("ix_result_precision", "precision"),
        Index("ix_result_latest_backend", "latest", "backend"),
    )
    id: int | None = Field(default=None, primary_key=True)
    job_id: str
    created_at: datetime = _ts(index=True)
    # Runs of one configuration (shared.jobs.lifecycle.config_key): the newest is `latest`, the chart's point.
    config_key: str = Field(index=True)
    latest: bool = True
    runs: int = 1
    suite_id: str | None = Field(default=None, index=True)


class CatalogEntry(SQLModel, table=True):
    """A user's correction of a published figure (`arch.tag`) or a custom variant (`base` + `kwargs`)."""

    __tablename__ = "catalog_entry"
    name: str = Field(primary_key=True)
    kind: str  # correction | variant
    base: str | None = None
    kwargs: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    label: str | None = None
    family: str | None = None
    top1: float | None = None
    top5: float | None = None
    img_size: int | None = None
    source: str | None = None
    params_m: float | None = None
    # A variant: pending until a CPU worker counts its parameters, then ready, or refused with the reason
    # (shared.catalog.counting). Corrections, and variants stored before counting moved to the workers, are ready.
    state: str = Field(default="ready", sa_column_kwargs={"server_default": "ready"})
    reason: str | None = None
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Suite(SQLModel, table=True):
    """A set of jobs queued in one call: a suite (e.g. the seed study on one backend) or a sweep (models × batch sizes ×
    streams). Their jobs and results carry its id as `suite_id`; GET /suites and GET /sweeps each list their own kind."""

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True)
    kind: str = Field(default="suite", index=True)  # suite | sweep
    name: str
    backend: str
    repeats: int = 1
    # A sweep's axes as resolved (models, batch_sizes, streams and whose cores they came from, the shared settings) and
    # the points it did not queue, each with its reason.
    plan: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    skipped: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    owner: str | None = None  # the name of the token that created it; None with auth off
    created_at: datetime = _ts(index=True)


class Token(SQLModel, table=True):
    """An API token: its name, role and the SHA-256 of the secret (the secret itself is shown once, never stored).
    A revoked token keeps its row, so a request bearing it is told it was revoked."""

    name: str = Field(primary_key=True)
    role: str  # read | submit | admin (shared.access.roles)
    secret_sha256: str = Field(unique=True)
    created_at: datetime = _ts()
    last_used_at: datetime | None = _optional_ts()
    revoked_at: datetime | None = _optional_ts()


class Capacity(SQLModel, table=True):
    """The largest machine a backend's workers have announced, kept after they stop: a job is refused at submission
    only when it cannot fit even that one (shared.jobs.memory)."""

    backend: str = Field(primary_key=True)
    memory_gb: float
    physical_cores: int | None = None
    worker: str  # who announced it
    announced_at: datetime = _ts()


class Worker(SQLModel, table=True):
    """A connected worker, as its last heartbeat described it."""

    name: str = Field(primary_key=True)
    backend: str = Field(index=True)
    queues: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    hardware: str
    host: str
    state: str = "idle"
    job_id: str | None = None
    # The machine's matrix-multiply peak per precision, GFLOP/s, measured by the worker at start, and how.
    peak_gflops: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    peak_method: str | None = None
    physical_cores: int | None = None  # CPU workers: cores, not counting hyper-threads (a sweep's default streams)
    memory_gb: float | None = None  # the host's memory (CPU) or the device's (GPU)
    started_at: datetime = _ts()
    last_heartbeat: datetime = _ts(index=True)
