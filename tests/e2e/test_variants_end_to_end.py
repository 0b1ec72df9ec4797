"""A custom variant (POST /models) benchmarked by a real worker, and one the worker cannot build."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from shared.db.engine import session_scope
from shared.db.tables import CatalogEntry
from tests.conftest import Stack
from tests.e2e.processes import WorkerProcess, result_rows, wait_for_status

pytestmark = pytest.mark.e2e


def test_a_variant_runs_with_its_kwargs_and_a_broken_one_fails_with_the_constructors_message(
    embedded_client: TestClient, embedded_stack: Stack, start_worker: Callable[[Stack], WorkerProcess]
) -> None:
    client = embedded_client  # one stack: the other end-to-end tests run the job path on both
    registered = client.post("/models", json={"name": "test_vit_shallow", "base": "test_vit", "kwargs": {"depth": 1},
                                           "top1": 12.5, "source": "made up for the test"}).json()
    with session_scope() as session:  # e.g. registered under an older timm that took these arguments
        session.add(CatalogEntry(name="test_vit_broken", kind="variant", base="test_vit", kwargs={"embed_dim": [64]}))
        session.commit()
    worker = start_worker(embedded_stack)
    good = client.post("/jobs", json={"model": "test_vit_shallow", "backend": "cpu", "duration_s": 1}).json()["id"]
    bad = client.post("/jobs", json={"model": "test_vit_broken", "backend": "cpu", "duration_s": 1}).json()["id"]

    wait_for_status(good, ("succeeded",), 120, worker)
    result = client.get(f"/jobs/{good}").json()["result"]
    assert result["model"] == "test_vit_shallow" and result["top1"] == 12.5
    # One transformer block instead of test_vit's six: the worker really built the variant.
    assert result["params_m"] == pytest.approx(registered["params_m"], abs=1e-3) and result["params_m"] < 0.2
    failed = wait_for_status(bad, ("failed",), 120, worker)
    assert "timm could not build 'test_vit' with {'embed_dim': [64]}" in failed.error and result_rows(bad) == []
