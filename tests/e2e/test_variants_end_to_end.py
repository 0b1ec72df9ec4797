"""Custom variants (POST /models) counted by a real CPU worker, their jobs held until the count and then benchmarked or
failed with the reason, a count whose task was lost, and rows written behind the API's back refused by the worker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from shared.db.engine import session_scope
from shared.db.tables import CatalogEntry, JobSpec, utcnow
from shared.jobs.lifecycle import submit_job
from tests.conftest import Stack
from tests.e2e.processes import WorkerProcess, result_rows, wait_for_status, wait_until

pytestmark = pytest.mark.e2e


def test_a_cpu_worker_counts_variants_and_their_jobs_wait_for_the_count(
    embedded_client: TestClient, embedded_stack: Stack, start_worker: Callable[[Stack], WorkerProcess]
) -> None:
    client = embedded_client  # one stack: the other end-to-end tests run the job path on both
    shallow = client.post("/models", json={"name": "test_vit_shallow", "base": "test_vit", "kwargs": {"depth": 1},
                                           "top1": 12.5, "source": "made up for the test"})
    assert shallow.status_code == 202 and shallow.json()["state"] == "pending", shallow.text
    unbuildable = client.post("/models", json={"name": "test_vit_unbuildable", "base": "test_vit",
                                               "kwargs": {"embed_dim": [64]}})
    assert unbuildable.status_code == 202, unbuildable.text
    with session_scope() as session:
        # Registered under an older timm that took these arguments: counted then, so ready.
        session.add(CatalogEntry(name="test_vit_broken", kind="variant", base="test_vit", kwargs={"embed_dim": [64]}))
        # Its count task lost (the broker was away at POST /models): pending for two minutes.
        session.add(CatalogEntry(name="test_vit_lost", kind="variant", base="test_vit", kwargs={"depth": 2},
                                 state="pending", updated_at=utcnow() - timedelta(minutes=2)))
        session.commit()
    # Queued before any worker has counted: they wait, unpublished, and say so.
    good = client.post("/jobs", json={"model": "test_vit_shallow", "backend": "cpu", "duration_s": 1}).json()
    assert "waiting for a CPU worker to count the parameters of variant test_vit_shallow" in good["detail"]
    doomed = client.post("/jobs", json={"model": "test_vit_unbuildable", "backend": "cpu", "duration_s": 1}).json()["id"]
    bad = client.post("/jobs", json={"model": "test_vit_broken", "backend": "cpu", "duration_s": 1}).json()["id"]
    with session_scope() as session:  # written behind the API's back: a kwarg that would make timm read a file
        evil = submit_job(session, JobSpec(model="test_vit_evil", base_model="test_vit", backend="cpu", engine="openvino",
                                           duration_s=1, model_kwargs={"checkpoint_path": "/etc/passwd"}), "cpu").id

    worker = start_worker(embedded_stack)
    wait_for_status(good["id"], ("succeeded",), 180, worker)
    counted = client.get("/models/test_vit_shallow").json()
    assert (counted["state"], counted["reason"]) == ("ready", None)
    result = client.get(f"/jobs/{good['id']}").json()["result"]
    assert result["model"] == "test_vit_shallow" and result["top1"] == 12.5
    # One transformer block instead of test_vit's six: the worker really built the variant it counted.
    assert result["params_m"] == pytest.approx(counted["params_m"], abs=1e-3) and result["params_m"] < 0.2

    refused = wait_for_status(doomed, ("failed",), 120, worker)
    assert refused.error.startswith("variant test_vit_unbuildable was refused: timm could not build test_vit")
    assert refused.started_at is None  # never handed to a worker
    assert client.get("/models/test_vit_unbuildable").json()["state"] == "refused"
    assert "timm could not build" in client.post("/jobs", json={"model": "test_vit_unbuildable", "backend": "cpu"}).text

    failed = wait_for_status(bad, ("failed",), 120, worker)
    assert "timm could not build 'test_vit' with {'embed_dim': [64]}" in failed.error and result_rows(bad) == []
    stopped = wait_for_status(evil, ("failed",), 120, worker)
    assert "kwargs.checkpoint_path is refused" in stopped.error and result_rows(evil) == []

    lost = wait_until(lambda: (m := client.get("/models/test_vit_lost").json())["state"] != "pending" and m, 120,
                      "the reaper to send the lost count again")
    assert lost["state"] == "ready" and lost["params_m"] > counted["params_m"]  # two blocks, not one
