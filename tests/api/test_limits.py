"""Rate and queue limits (api.limits): past a rate or the queue's room a POST is answered 429 with Retry-After and what
to do; budgets are per token (per client address with auth off); 0 turns a limit off; the defaults let the seed suite
and a sweep of a few hundred points through."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from shared.access.tokens import create
from shared.catalog.seed import SEED_MODELS
from shared.db.engine import session_scope
from shared.db.tables import Worker
from shared.jobs.presence import announce
from shared.jobs.queues import queues_of
from shared.settings import get_settings

JOB = {"model": "resnet18", "backend": "cpu", "duration_s": 1}
SUITE = {"backend": "cpu", "duration_s": 1}
SWEEP = {"models": ["resnet18"], "backend": "cpu", "batch_sizes": [1], "streams": [1], "duration_s": 1}


def limit(monkeypatch: pytest.MonkeyPatch, **settings: int) -> None:
    for name, value in settings.items():
        monkeypatch.setenv(f"SPEEDBOARD_{name.upper()}", str(value))
    get_settings.cache_clear()


def tokens(*names: str) -> dict[str, dict[str, str]]:
    """Submit tokens by name, as request headers (creating one turns auth on)."""
    with session_scope() as session:
        return {name: {"Authorization": f"Bearer {create(session, name, 'submit')}"} for name in names}


def assert_too_many(response: Response, *phrases: str) -> dict[str, object]:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["retry-after"]) <= 60
    body = response.json()
    assert body["retry_after_s"] == int(response.headers["retry-after"])
    for phrase in phrases:
        assert phrase in body["message"], body["message"]
    return body


def test_rapid_post_jobs_past_the_default_rate_are_refused_with_retry_after(client: TestClient) -> None:
    # Malformed bodies, so nothing is queued: every request spends the budget, whatever it carries.
    statuses = [client.post("/jobs", json={}).status_code for _ in range(get_settings().rate_jobs_per_min)]
    assert set(statuses) == {422}
    refused = client.post("/jobs", json=JOB)
    assert_too_many(refused, "too many POST /jobs from address testclient", "at most 120 a minute",
                    "SPEEDBOARD_RATE_JOBS_PER_MIN", "retry in")
    assert client.get("/jobs").json()["total"] == 0
    assert client.post("/suites", json=SUITE).status_code == 202  # another budget


def test_each_token_has_its_own_budget(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    limit(monkeypatch, rate_jobs_per_min=2)
    headers = tokens("alice", "bob")
    assert [client.post("/jobs", json=JOB, headers=headers["alice"]).status_code for _ in range(2)] == [202, 202]
    assert_too_many(client.post("/jobs", json=JOB, headers=headers["alice"]), "token 'alice'", "at most 2 a minute")
    assert client.post("/jobs", json=JOB, headers=headers["bob"]).status_code == 202
    assert client.get("/jobs").json()["total"] == 3


def test_suites_and_sweeps_share_one_budget_and_models_have_theirs(client: TestClient,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    limit(monkeypatch, rate_suites_per_min=2, rate_models_per_min=1)
    assert client.post("/suites", json=SUITE).status_code == 202
    assert client.post("/sweeps", json=SWEEP).status_code == 202
    assert_too_many(client.post("/suites", json=SUITE), "POST /suites and /sweeps", "SPEEDBOARD_RATE_SUITES_PER_MIN")
    assert_too_many(client.post("/sweeps", json=SWEEP), "POST /suites and /sweeps")
    assert client.post("/jobs", json=JOB).status_code == 202
    assert client.post("/models", json={"name": "bad name"}).status_code == 422
    assert_too_many(client.post("/models", json={"name": "bad name"}), "POST /models", "SPEEDBOARD_RATE_MODELS_PER_MIN")
    assert client.get("/models").status_code == 200  # reading is not limited


def test_zero_turns_each_limit_off(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    limit(monkeypatch, rate_jobs_per_min=0, rate_suites_per_min=0, rate_models_per_min=0, max_queued=0,
          max_queued_per_owner=0)
    assert [client.post("/models", json={"name": "bad name"}).status_code for _ in range(2)] == [422, 422]
    headers = tokens("alice")["alice"]
    assert [client.post("/jobs", json=JOB, headers=headers).status_code for _ in range(3)] == [202] * 3
    assert client.post("/suites", json=SUITE, headers=headers).status_code == 202
    assert client.post("/sweeps", json=SWEEP, headers=headers).status_code == 202


def test_the_queue_is_full_overall_and_a_suite_is_refused_whole(client: TestClient,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    limit(monkeypatch, max_queued=3)
    first = [client.post("/jobs", json=JOB).json()["id"] for _ in range(2)]
    body = assert_too_many(client.post("/suites", json=SUITE), "2 jobs are queued, at most 3 at once",
                           "SPEEDBOARD_MAX_QUEUED", f"this suite would add {len(SEED_MODELS)} jobs")
    assert (body["queued"], body["limit"], body["adding"], body["retry_after_s"]) == (2, 3, len(SEED_MODELS), 60)
    assert client.get("/suites").json()["total"] == 0 and client.get("/jobs").json()["total"] == 2
    assert client.post("/jobs", json=JOB).status_code == 202
    assert_too_many(client.post("/jobs", json=JOB), "3 jobs are queued", "this job would add 1 job;")
    assert client.delete(f"/jobs/{first[0]}").status_code == 202  # only queued jobs count: cancelling makes room
    assert client.post("/jobs", json=JOB).status_code == 202


def test_a_sweep_counts_only_the_points_it_queues(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    limit(monkeypatch, max_queued=3)
    with session_scope() as session:  # 1 GiB: batch 1024 with 2 streams cannot fit, so 3 of its 4 points are queued
        announce(session, Worker(name="tiny@a", backend="cpu", hardware="AMD EPYC, 8 cores", host="h", physical_cores=2,
                                 queues=queues_of("cpu", "tiny@a", "AMD EPYC, 8 cores"), memory_gb=1.0))
    sweep = client.post("/sweeps", json={"models": ["resnet18"], "backend": "cpu", "batch_sizes": [1, 1024]})
    assert sweep.status_code == 202, sweep.text
    assert (sweep.json()["total"], len(sweep.json()["skipped"])) == (3, 1)
    assert_too_many(client.post("/sweeps", json=SWEEP), "3 jobs are queued, at most 3", "this sweep would add 1 job;")


def test_each_owner_has_at_most_its_share_of_the_queue(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    limit(monkeypatch, max_queued_per_owner=2)
    headers = tokens("alice", "bob")
    assert [client.post("/jobs", json=JOB, headers=headers["alice"]).status_code for _ in range(2)] == [202, 202]
    body = assert_too_many(client.post("/jobs", json=JOB, headers=headers["alice"]),
                           "2 jobs of token 'alice' are queued, at most 2 per token", "SPEEDBOARD_MAX_QUEUED_PER_OWNER")
    assert body["retry_after_s"] == 60
    assert client.post("/jobs", json=JOB, headers=headers["bob"]).status_code == 202
    two_points = SWEEP | {"batch_sizes": [1, 2]}
    assert_too_many(client.post("/sweeps", json=two_points, headers=headers["bob"]), "1 job of token 'bob' is queued",
                    "this sweep would add 2 jobs")
    assert client.get("/sweeps").json()["total"] == 0 and client.get("/jobs").json()["total"] == 3


def test_the_seed_suite_and_a_sweep_of_300_points_pass_under_the_defaults(client: TestClient) -> None:
    suite = client.post("/suites", json=SUITE)
    assert suite.status_code == 202, suite.text
    models = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "levit_128s", "levit_128", "levit_192",
              "convnext_tiny", "convnext_small"]
    sweep = client.post("/sweeps", json={"models": models, "backend": "cpu", "batch_sizes": list(range(1, 11)),
                                         "streams": [1, 2, 4], "duration_s": 1})
    assert sweep.status_code == 202, sweep.text
    assert sweep.json()["total"] == 300
    assert client.get("/jobs").json()["total"] == len(SEED_MODELS) + 300
