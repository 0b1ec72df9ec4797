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
    # A custom variant (POST /models) builds `base_model` with `model_kwargs`; `model` is then the variant's name.
    base_model: str | None = None
    model_kwargs: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    cuda_graphs: bool = False  # engine torch: replay each batch as a CUDA graph


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
    created_at: datetime = _ts(index=True)
    updated_at: datetime = _ts()
    published_at: datetime | None = _optional_ts()
    started_at: datetime | None = _optional_ts()
    heartbeat_at: datetime | None = _optional_ts()
    finished_at: datetime | None = _optional_ts()


class ResultBase(SQLModel):
    """What one benchmark measured and on what: the benchmark pipeline returns exactly these fields."""

    model: str
    pretrained_tag: str | None = None
    backend: str
    engine: str
    throughput: float
    latency_ms: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    stable: bool
    windows: list[float] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    iterations: int
    duration_s: float
    batch_size: int
    streams: int
    precision: str
    precision_used: str
    input_size: int
    cuda_graphs: bool = False  # engine torch: each batch replayed as a CUDA graph
    params_m: float
    gflops: float
    prepare_s: float
    cache_hit: bool
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
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Suite(SQLModel, table=True):
    """A set of jobs queued in one call, e.g. the seed study on one backend."""

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True)
    name: str
    backend: str
    created_at: datetime = _ts(index=True)


class Worker(SQLModel, table=True):
    """A connected worker, as its last heartbeat described it."""

    name: str = Field(primary_key=True)
    backend: str = Field(index=True)
    queues: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    hardware: str
    host: str
    state: str = "idle"
    job_id: str | None = None
    started_at: datetime = _ts()
    last_heartbeat: datetime = _ts(index=True)
