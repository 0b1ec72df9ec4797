"""Migrations and connection settings on both databases."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from shared.db.engine import MIGRATIONS, get_engine, migrate
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
    from shared.jobs.lifecycle import config_key  # a new run after the upgrade continues the same configuration

    assert keys[0] == config_key({"model": "resnet50", "pretrained_tag": "a1_in1k", "backend": "cpu", "engine": "openvino",
                                  "hardware": "x", "precision_used": "fp16", "batch_size": 1, "input_size": 224,
                                  "streams": 2, "cuda_graphs": False})
    assert [(row.job_id, bool(row.latest), row.runs) for row in rows] == [
        ("j0", False, 1), ("j1", True, 2), ("j2", True, 1), ("j3", True, 1)]


def test_0004_keys_results_on_the_precision_that_ran(stack: Stack) -> None:
    migrate(revision="0003")
    columns = ("job_id, model, pretrained_tag, backend, engine, throughput, latency_ms, stable, windows, iterations, "
               "duration_s, batch_size, streams, precision, precision_used, input_size, params_m, gflops, prepare_s, "
               "cache_hit, hardware, hardware_detail, host, versions, created_at, config_key, latest, runs")
    insert = text(f"INSERT INTO result ({columns}) VALUES (:job, 'resnet50', 'a1_in1k', 'cpu', 'openvino', 1.0, '{{}}', "
                  "true, '[]', 1, 1.0, 1, 2, :asked, :used, 224, 1.0, 1.0, 0.1, false, 'x', '{}', 'h', '{}', :at, :key, "
                  "true, 1)")
    runs = [("j0", "bf16", "bf16"), ("j1", "auto", "bf16"), ("j2", "fp16", "fp32"), ("j3", "fp32", "fp32"),
            ("j4", "auto", "fp32")]
    with get_engine().begin() as connection:
        for n, (job, asked, used) in enumerate(runs):  # as 0002 keyed them: one configuration per precision asked
            connection.execute(insert, {"job": job, "asked": asked, "used": used, "at": f"2026-01-0{n + 1} 00:00:00",
                                        "key": f"asked-{asked}"})
    migrate()

    def stored() -> list[tuple[str, str, bool, int]]:
        with get_engine().connect() as connection:
            rows = connection.execute(text("SELECT job_id, config_key, latest, runs FROM result ORDER BY id")).all()
        return [(row.job_id, row.config_key, bool(row.latest), row.runs) for row in rows]

    from shared.jobs.lifecycle import config_key

    def key(used: str) -> str:
        return config_key({"model": "resnet50", "pretrained_tag": "a1_in1k", "backend": "cpu", "engine": "openvino",
                           "hardware": "x", "precision_used": used, "batch_size": 1, "input_size": 224, "streams": 2,
                           "cuda_graphs": False})

    assert stored() == [("j0", key("bf16"), False, 1), ("j1", key("bf16"), True, 2), ("j2", key("fp32"), False, 1),
                        ("j3", key("fp32"), False, 2), ("j4", key("fp32"), True, 3)]
    downgrade_to("0003")  # and back: one configuration per precision asked again
    after_downgrade = stored()
    assert len({row[1] for row in after_downgrade}) == 4
    assert [(job, latest, n) for job, _, latest, n in after_downgrade] == [
        ("j0", True, 1), ("j1", False, 1), ("j2", True, 1), ("j3", True, 1), ("j4", True, 2)]


def test_0005_separates_torch_runs_with_and_without_cuda_graphs(stack: Stack) -> None:
    migrate(revision="0004")
    with get_engine().begin() as connection:
        for n, graphs in enumerate([False, True, True]):
            connection.execute(text(
                "INSERT INTO job (id, model, backend, engine, precision, batch_size, input_size, duration_s, cuda_graphs, "
                "queue, status, progress, attempts, created_at, updated_at) VALUES (:id, 'resnet50', 'gpu', 'torch', "
                "'fp16', 256, 224, 10, :graphs, 'gpu', 'succeeded', 1, 1, :at, :at)"),
                {"id": f"j{n}", "graphs": graphs, "at": f"2026-01-0{n + 1} 00:00:00"})
            connection.execute(text(
                "INSERT INTO result (job_id, model, pretrained_tag, backend, engine, throughput, latency_ms, stable, "
                "windows, iterations, duration_s, batch_size, streams, precision, precision_used, input_size, params_m, "
                "gflops, prepare_s, cache_hit, hardware, hardware_detail, host, versions, created_at, config_key, latest, "
                "runs) VALUES (:job, 'resnet50', 'a1_in1k', 'gpu', 'torch', 1.0, '{}', true, '[]', 1, 1.0, 256, 1, "
                "'fp16', 'fp16', 224, 1.0, 1.0, 0.1, false, 'NVIDIA H200', '{}', 'h', '{}', :at, 'one', :latest, :runs)"),
                {"job": f"j{n}", "at": f"2026-01-0{n + 1} 00:00:00", "latest": n == 2, "runs": n + 1})
    migrate()
    with get_engine().connect() as connection:
        rows = connection.execute(text(
            "SELECT job_id, cuda_graphs, method_version, config_key, latest, runs FROM result ORDER BY id")).all()
    from shared.jobs.lifecycle import config_key

    def key(graphs: bool) -> str:
        return config_key({"model": "resnet50", "pretrained_tag": "a1_in1k", "backend": "gpu", "engine": "torch",
                           "hardware": "NVIDIA H200", "precision_used": "fp16", "batch_size": 256, "input_size": 224,
                           "streams": 1, "cuda_graphs": graphs})

    assert key(True) != key(False)
    assert [(r.job_id, bool(r.cuda_graphs), r.method_version, r.config_key, bool(r.latest), r.runs) for r in rows] == [
        ("j0", False, 1, key(False), True, 1), ("j1", True, 1, key(True), False, 1), ("j2", True, 1, key(True), True, 2)]
    assert "queue" not in {column["name"] for column in inspect(get_engine()).get_columns("worker")}


def downgrade_to(revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with get_engine().begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_0006_makes_every_stored_result_a_result_of_one_run_and_downgrades(stack: Stack) -> None:
    migrate(revision="0005")
    with get_engine().begin() as connection:
        connection.execute(text(
            "INSERT INTO result (job_id, model, pretrained_tag, backend, engine, throughput, latency_ms, stable, "
            "windows, iterations, duration_s, batch_size, streams, precision, precision_used, input_size, params_m, "
            "gflops, prepare_s, cache_hit, hardware, hardware_detail, host, versions, created_at, config_key, latest, "
            "runs, cuda_graphs, method_version) VALUES ('j0', 'resnet50', 'a1_in1k', 'cpu', 'openvino', 123.5, "
            "'{\"p50\": 8.0}', true, '[120.0, 127.0]', 600, 10.0, 1, 2, 'auto', 'fp32', 224, 25.6, 8.2, 4.5, false, "
            "'CPU, 2 cores', '{}', 'h', '{}', '2026-01-01 00:00:00', 'k', true, 1, false, 1)"))
    migrate()
    with get_engine().connect() as connection:
        result = connection.execute(text("SELECT id, repeats, throughput_ci95, peak_share FROM result")).one()
        run = connection.execute(text(
            "SELECT job_id, result_id, repeat, throughput, latency_ms, windows, iterations, prepare_s, stable_after_s "
            "FROM run")).one()
    assert (result.repeats, result.throughput_ci95, result.peak_share) == (1, None, None)  # one run: interval unknown
    assert (run.job_id, run.result_id, run.repeat, run.throughput, run.iterations, run.prepare_s) == (
        "j0", result.id, 1, 123.5, 600, 4.5)
    assert "120.0" in str(run.windows) and "8.0" in str(run.latency_ms) and run.stable_after_s is None
    downgrade_to("0005")
    tables = inspect(get_engine()).get_table_names()
    assert "run" not in tables and "repeats" not in {c["name"] for c in inspect(get_engine()).get_columns("job")}
    migrate()  # and up again


def test_0007_keeps_stored_suites_as_suites_and_downgrades(stack: Stack) -> None:
    migrate(revision="0006")
    with get_engine().begin() as connection:
        connection.execute(text("INSERT INTO suite (id, name, backend, repeats, created_at) "
                                "VALUES ('s1', 'seed', 'cpu', 3, '2026-01-01 00:00:00')"))
    migrate()
    with get_engine().connect() as connection:
        suite = connection.execute(text("SELECT kind, plan, skipped FROM suite")).one()
    assert (suite.kind, suite.plan) == ("suite", None) and "[]" in str(suite.skipped).replace(" ", "")
    assert {"physical_cores", "memory_gb"} <= {c["name"] for c in inspect(get_engine()).get_columns("worker")}
    downgrade_to("0006")
    assert "kind" not in {c["name"] for c in inspect(get_engine()).get_columns("suite")}
    assert "physical_cores" not in {c["name"] for c in inspect(get_engine()).get_columns("worker")}
    migrate()
