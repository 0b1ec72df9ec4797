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
