"""Migrations and connection settings on both databases."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from shared.db import get_engine, migrate
from shared.settings import Settings
from tests.conftest import Stack


def test_migrations_build_exactly_the_models(migrated: Stack) -> None:
    migrate()  # a second run is a no-op
    with get_engine().connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == [], f"models and migrations differ; add a migration: {diff}"
    indexes = {i["name"] for i in inspect(get_engine()).get_indexes("result")}
    assert {"ix_result_backend_created", "ix_result_model", "ix_result_hardware"} <= indexes


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(embedded_stack: Stack) -> None:
    migrate()
    with get_engine().connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def test_plain_postgresql_urls_use_psycopg() -> None:
    assert Settings(DATABASE_URL="postgresql://u@h/db").db_url == "postgresql+psycopg://u@h/db"
    assert Settings(DATABASE_URL="postgresql+psycopg://u@h/db").db_url == "postgresql+psycopg://u@h/db"
    assert Settings(data_dir=Path("/srv/sb")).db_url == "sqlite:////srv/sb/speedboard.db"


def test_results_stored_before_0002_become_runs_of_their_configurations(stack: Stack) -> None:
    migrate(revision="0001")
    columns = ("job_id, model, pretrained_tag, backend, engine, throughput, latency_ms, stable, windows, iterations, "
               "duration_s, batch_size, streams, precision, precision_used, input_size, params_m, gflops, prepare_s, "
               "cache_hit, hardware, hardware_detail, host, versions, created_at")
    insert = text(f"INSERT INTO result ({columns}) VALUES (:job, :model, 'a1_in1k', 'cpu', 'openvino', 1.0, '{{}}', true, "
                  f"'[]', 1, 1.0, :batch, 2, 'fp16', 'fp16', 224, 1.0, 1.0, 0.1, false, 'x', '{{}}', 'h', '{{}}', :at)")
    with get_engine().begin() as connection:
        for n, (model, batch) in enumerate([("resnet50", 1), ("resnet50", 1), ("resnet50", 8), ("levit_256", 1)]):
            connection.execute(insert, {"job": f"j{n}", "model": model, "batch": batch, "at": f"2026-01-0{n + 1} 00:00:00"})
    migrate()
    with get_engine().connect() as connection:
        rows = connection.execute(text("SELECT job_id, config_key, latest, runs FROM result ORDER BY id")).all()
    keys = [row.config_key for row in rows]
    assert keys[0] == keys[1] and len(set(keys)) == 3
    from shared.jobs import config_key  # a new run after the upgrade continues the same configuration

    assert keys[0] == config_key({"model": "resnet50", "pretrained_tag": "a1_in1k", "backend": "cpu", "engine": "openvino",
                                  "hardware": "x", "precision": "fp16", "batch_size": 1, "input_size": 224, "streams": 2})
    assert [(row.job_id, bool(row.latest), row.runs) for row in rows] == [
        ("j0", False, 1), ("j1", True, 2), ("j2", True, 1), ("j3", True, 1)]
