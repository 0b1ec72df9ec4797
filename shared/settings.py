"""Settings read from the environment, one place for the API, the workers and the supervisor."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

EMBEDDED_BROKER = "filesystem://"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SPEEDBOARD_", extra="ignore")

    data_dir: Path = Path("data")
    # DATABASE_URL / BROKER_URL are the names users know; the prefixed names work too.
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "SPEEDBOARD_DATABASE_URL")
    )
    broker_url: str | None = Field(
        default=None, validation_alias=AliasChoices("BROKER_URL", "SPEEDBOARD_BROKER_URL")
    )
    # Tokens: auth is on once one exists; True/False (SPEEDBOARD_AUTH=on/off) decide it outright. GETs needing the
    # read role pass without a token while public_read is true. allowed_hosts: the Host headers answered on a
    # non-loopback bind (comma-separated, or *); bind_host: the address served on, for launchers whose command line
    # does not say it (uvicorn's --host and gunicorn's --bind are read from it).
    auth: bool | None = None
    public_read: bool = True
    allowed_hosts: str | None = None
    bind_host: str | None = None
    # Per token (per client address with auth off), a minute; POST /suites and /sweeps share one budget. Jobs waiting
    # at once, overall and per token. 0 turns a limit off (api.limits).
    rate_jobs_per_min: int = 120
    rate_suites_per_min: int = 20
    rate_models_per_min: int = 10
    max_queued: int = 2000
    max_queued_per_owner: int = 1000
    max_params_m: float = 1000.0
    # The memory a job must fit when no worker of its backend has ever announced its own (GB; None: accept).
    max_job_memory_gb: float | None = None
    # Memory at run time, in GB: a CPU benchmark process's address-space limit (RLIMIT_AS; the conversion process it
    # starts gets its own), and the resident memory of any benchmark's process tree past which the worker kills it.
    # None: from the machine's memory (shared.worker.memory_watch); 0: off. A job over either fails, not retried.
    benchmark_address_space_gb: float | None = None
    benchmark_rss_limit_gb: float | None = None
    max_attempts: int = 3
    job_time_limit_s: float = 30 * 60  # a whole job, every repeat included; the broker's redelivery follows it
    # Preparing one repeat (converting or loading, compiling) in a job's worst case; TensorRT adds its build limit.
    prepare_allowance_s: float = 120.0
    # Seconds a worker spends measuring its matmul peak per precision, once per host and library versions, and
    # where it keeps the figures (default: data_dir/cache/peaks; workers of one host may share a folder).
    peak_measure_s: float = 3.0
    peaks_dir: Path | None = None
    queue_ttl_s: float = 24 * 3600
    heartbeat_s: float = 10.0
    heartbeat_timeout_s: float = 60.0
    redelivery_s: float = 300.0
    reaper_interval_s: float = 10.0
    worker_live_s: float = 30.0
    host_lock_path: Path = Path("/tmp/speedboard-host.lock")
    # GPU workers: the torch device they benchmark on ("cpu" runs their code path without a GPU, for tests),
    # and the longest a TensorRT engine build may take.
    gpu_device: str = "cuda"
    engine_build_limit_s: float = 900.0
    # The most the converted models and engines in cache_dir may take together (GB; 0: no cap): the least recently
    # used are evicted, never one in use. The measured peaks are not counted nor evicted.
    cache_max_gb: float = Field(default=20.0, ge=0)

    @property
    def db_url(self) -> str:
        url = self.database_url or f"sqlite:///{self.data_dir.resolve() / 'speedboard.db'}"
        # A plain postgresql:// URL means psycopg 3, the driver we ship.
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix):]
        return url

    @property
    def broker(self) -> str:
        return self.broker_url or EMBEDDED_BROKER

    @property
    def broker_dir(self) -> Path:
        return self.data_dir / "broker"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def peaks_folder(self) -> Path:
        return self.peaks_dir or self.cache_dir / "peaks"


@lru_cache
def get_settings() -> Settings:
    return Settings()
