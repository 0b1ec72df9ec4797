"""Fixtures that point Speedboard at real services: SQLite and PostgreSQL, Redis and the embedded broker.

TEST_REDIS_URL (default redis://127.0.0.1:6379/15, flushed) and TEST_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/test; each test gets a database of its own, dropped after).
`make test` starts or installs both first; if one is unreachable these fixtures fail loudly.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")

# Short clocks so retries and reaping happen within a test's patience.
FAST_CLOCKS = {
    "SPEEDBOARD_HEARTBEAT_S": "1",
    "SPEEDBOARD_HEARTBEAT_TIMEOUT_S": "6",
    "SPEEDBOARD_REAPER_INTERVAL_S": "1",
    "SPEEDBOARD_WORKER_LIVE_S": "5",
    "SPEEDBOARD_REDELIVERY_S": "30",
    "SPEEDBOARD_PEAK_MEASURE_S": "0.2",  # a worker's matmul peak at start: a rough figure is enough for tests
}


def _psycopg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def redis_url() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as error:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} ({error}); run `make services` or set TEST_REDIS_URL")
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test, as a plain postgresql:// URL."""
    admin = create_engine(_psycopg(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    name = f"speedboard_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001
        pytest.fail(f"PostgreSQL is not usable at {PG_ADMIN_URL} ({error}); run `make services` or set TEST_DATABASE_URL")
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    from shared.db.engine import engine_for

    engine_for(_psycopg(url)).dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@dataclass
class Stack:
    """Where one test's Speedboard keeps its state: the environment every process of it gets."""

    env: dict[str, str]
    data_dir: Path
    kind: str

    def process_env(self) -> dict[str, str]:
        return os.environ | self.env | {"PYTHONUNBUFFERED": "1"}


def _apply(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    from shared.jobs.broker import get_app
    from shared.settings import get_settings

    for key in ("DATABASE_URL", "BROKER_URL", "SPEEDBOARD_DATABASE_URL", "SPEEDBOARD_BROKER_URL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    get_app.cache_clear()


@pytest.fixture(scope="session")
def peaks_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder of measured matmul peaks for the whole run, as workers of one host may share: the first worker
    measures (tests/shared/worker/test_peaks.py measures on its own), the others read its figures."""
    return tmp_path_factory.mktemp("peaks")


@pytest.fixture
def embedded_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, peaks_dir: Path) -> Iterator[Stack]:
    """The default: a SQLite file and the filesystem broker, nothing else."""
    env = FAST_CLOCKS | {"SPEEDBOARD_DATA_DIR": str(tmp_path / "data"), "SPEEDBOARD_PEAKS_DIR": str(peaks_dir),
                         "SPEEDBOARD_HOST_LOCK_PATH": str(tmp_path / "host.lock")}
    _apply(monkeypatch, env)
    yield Stack(env, tmp_path / "data", "embedded")
    _apply(monkeypatch, {})


@pytest.fixture
def distributed_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str, postgres_url: str,
                      peaks_dir: Path) -> Iterator[Stack]:
    """Redis as the broker and PostgreSQL as the database, as docker-compose runs it."""
    env = FAST_CLOCKS | {"SPEEDBOARD_DATA_DIR": str(tmp_path / "data"), "BROKER_URL": redis_url,
                         "SPEEDBOARD_PEAKS_DIR": str(peaks_dir),
                         "DATABASE_URL": postgres_url, "SPEEDBOARD_HOST_LOCK_PATH": str(tmp_path / "host.lock")}
    _apply(monkeypatch, env)
    yield Stack(env, tmp_path / "data", "distributed")
    _apply(monkeypatch, {})


@pytest.fixture(params=["embedded", "distributed"])
def stack(request: pytest.FixtureRequest) -> Stack:
    """Each test using it runs twice: SQLite + embedded broker, and PostgreSQL + Redis."""
    fixture = "embedded_stack" if request.param == "embedded" else "distributed_stack"
    return request.getfixturevalue(fixture)


@pytest.fixture
def migrated(stack: Stack) -> Stack:
    from shared.db.engine import migrate

    migrate()
    return stack


@pytest.fixture
def client(stack: Stack) -> Iterator[TestClient]:
    """The API in this process (FastAPI's TestClient), over the test's stack."""
    yield from _api_client()


@pytest.fixture
def distributed_client(distributed_stack: Stack) -> Iterator[TestClient]:
    """The API over Redis and PostgreSQL only, as compose runs it: for end-to-end tests whose subject is not what
    differs between the two stacks (each of those runs on both)."""
    yield from _api_client()


@pytest.fixture
def embedded_client(embedded_stack: Stack) -> Iterator[TestClient]:
    """The API over SQLite and the embedded broker only (see distributed_client)."""
    yield from _api_client()


def _api_client() -> Iterator[TestClient]:
    from api.limits import reset_rates
    from api.main import app
    from api.services.chart_cache import forget

    forget()  # each test's database starts again from result id 1: an answer cached for another test would match
    reset_rates()  # the rate limits count per client address in this process: each test starts with full budgets
    with TestClient(app, base_url="http://localhost") as test_client:
        yield test_client
