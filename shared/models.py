"""Database tables and the public shapes the API returns, named by role."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

BackendName = Literal["cpu", "gpu"]
PrecisionName = Literal["fp32", "fp16", "bf16"]
JobStatus = Literal["queued", "running", "cancelling", "succeeded", "failed", "cancelled"]
TERMINAL: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})


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
    precision: str = "fp16"
    batch_size: int = 1
    streams: int | None = None
    input_size: int = 224
    duration_s: float = 10.0


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
    created_at: datetime = _ts(index=True)
    updated_at: datetime = _ts()
    published_at: datetime | None = _optional_ts()
    started_at: datetime | None = _optional_ts()
    heartbeat_at: datetime | None = _optional_ts()
    finished_at: datetime | None = _optional_ts()


class ResultBase(SQLModel):
    job_id: str
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
    params_m: float
    gflops: float
    prepare_s: float
    cache_hit: bool
    hardware: str
    hardware_detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    host: str
    versions: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Result(ResultBase, table=True):
    __table_args__ = (
        UniqueConstraint("job_id", name="uq_result_job_id"),
        Index("ix_result_backend_created", "backend", "created_at"),
        Index("ix_result_model", "model"),
        Index("ix_result_hardware", "hardware"),
        Index("ix_result_engine", "engine"),
        Index("ix_result_precision", "precision"),
    )
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _ts(index=True)


class Worker(SQLModel, table=True):
    """A connected worker, as its last heartbeat described it."""

    name: str = Field(primary_key=True)
    backend: str = Field(index=True)
    queue: str
    hardware: str
    host: str
    state: str = "idle"
    job_id: str | None = None
    started_at: datetime = _ts()
    last_heartbeat: datetime = _ts(index=True)


class ResultPublic(ResultBase):
    created_at: datetime


class JobPublic(JobSpec):
    id: str
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
