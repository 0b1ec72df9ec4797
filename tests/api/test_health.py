"""GET /health and what happens to a job when the broker is away."""

from __future__ import annotations

import pytest
import redis
from fastapi.testclient import TestClient

from shared.db.engine import session_scope
from shared.jobs.reaper import reap_once
from shared.settings import get_settings
from tests.conftest import Stack


def test_health_reports_database_and_broker(client: TestClient, stack: Stack) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["database"]["ok"] and body["broker"]["ok"]
    assert body["database"]["dialect"] == ("sqlite" if stack.kind == "embedded" else "postgresql")
    assert body["broker"]["embedded"] is (stack.kind == "embedded")


def test_broker_down_job_is_kept_and_published_later(embedded_stack: Stack, redis_url: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from api.main import app
    from shared.jobs.broker import get_app

    monkeypatch.setenv("BROKER_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    get_settings.cache_clear()
    get_app.cache_clear()
    with TestClient(app, base_url="http://localhost") as client:
        health = client.get("/health").json()
        assert health["status"] == "ok" and health["broker"]["ok"] is False
        response = client.post("/jobs", json={"model": "resnet18", "backend": "cpu"})
        assert response.status_code == 202
        job = client.get(f"/jobs/{response.json()['id']}").json()
        assert job["status"] == "queued" and "not yet handed to the broker" in job["detail"]

        monkeypatch.setenv("BROKER_URL", redis_url)  # the broker comes back
        get_settings.cache_clear()
        get_app.cache_clear()
        with session_scope() as session:
            assert reap_once(session)["republished"] == 1
        assert redis.Redis.from_url(redis_url).llen("cpu") == 1  # the task message is really in Redis now
        assert "not yet handed" not in client.get(f"/jobs/{job['id']}").json()["detail"]


def test_database_down_is_a_503_saying_what_to_check(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")  # nothing listens there
    get_settings.cache_clear()
    job = {"model": "resnet18", "backend": "cpu"}
    for response in (client.get("/results"), client.get("/jobs"), client.post("/jobs", json=job)):
        assert response.status_code == 503 and "check DATABASE_URL" in response.json()["detail"]
    assert client.get("/health").status_code == 503
