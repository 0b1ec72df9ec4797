"""The broker and database URLs as logs show them: never with their passwords."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.engine import make_url

from shared.commands import supervisor
from shared.commands.supervisor import shown_database
from shared.jobs.broker import get_app, shown_broker
from shared.settings import Settings, get_settings
from tests.conftest import Stack


def test_broker_passwords_are_masked_in_every_url_form() -> None:
    def shown(url: str) -> str:
        return shown_broker(Settings(broker_url=url))

    assert shown("redis://:s3cret@redis:6379/0") == "redis://:**@redis:6379/0"
    assert shown("amqp://speedboard:s3cret@rabbit:5672//") == "amqp://speedboard:**@rabbit:5672//"
    assert shown("redis://:s3cret@a:6379/0;redis://:s3cret@b:6379/0") == "redis://:**@a:6379/0;redis://:**@b:6379/0"
    assert shown("redis://:s3cret@a:port/0") == "redis:// (the rest not shown: it does not parse as a URL)"
    assert shown("redis://redis:6379/0") == "redis://redis:6379/0"  # nothing to hide
    assert shown_broker(Settings(broker_url=None, data_dir="/srv/data")).startswith("embedded (filesystem, under /srv/data")


def test_database_passwords_are_masked() -> None:
    assert shown_database("postgresql+psycopg://speedboard:s3cret@db:5432/speedboard") == \
        "postgresql+psycopg://speedboard:***@db:5432/speedboard"
    assert shown_database("sqlite:////srv/data/speedboard.db") == "sqlite:////srv/data/speedboard.db"
    assert "s3cret" not in shown_database("postgresql://u:s3cret@db:notaport/x")


def test_the_supervisor_logs_its_database_and_broker_without_their_passwords(
    distributed_stack: Stack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A password the test server's trust authentication ignores; a server that asks for one has its own in the URL.
    database = make_url(distributed_stack.env["DATABASE_URL"])
    database = database if database.password else database.set(password="database-s3cret")
    monkeypatch.setenv("DATABASE_URL", database.render_as_string(hide_password=False))
    monkeypatch.setenv("BROKER_URL", "redis://:broker-s3cret@127.0.0.1:6379/15")
    get_settings.cache_clear()
    get_app.cache_clear()
    started: list[object] = []
    monkeypatch.setattr(supervisor, "supervise", lambda children: started.append(children) or 0)
    caplog.set_level(logging.INFO, logger="speedboard.supervisor")
    try:
        assert supervisor.main(["worker"]) == 0  # migrates the real database, then would start a worker
    finally:
        from shared.db.engine import engine_for

        engine_for(get_settings().db_url).dispose()
    assert started and "database-s3cret" not in caplog.text and str(database.password) not in caplog.text
    assert "broker-s3cret" not in caplog.text and "broker: redis://:**@127.0.0.1:6379/15" in caplog.text
    assert f"{database.username}:***@{database.host}" in caplog.text
