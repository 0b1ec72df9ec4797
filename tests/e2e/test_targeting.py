"""A real worker takes jobs sent to it by name and to its hardware, besides its backend's queue; only announced
targets are accepted, and a stopped worker stays one (its jobs wait for it)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from shared.db.engine import session_scope
from shared.db.tables import Worker
from shared.measurement.hardware import cpu_hardware
from tests.conftest import Stack
from tests.e2e.processes import WorkerProcess, wait_for_status

pytestmark = pytest.mark.e2e


def test_jobs_reach_a_worker_by_name_and_by_hardware(
    client: TestClient, stack: Stack, start_worker: Callable[[Stack], WorkerProcess]
) -> None:
    worker = start_worker(stack)
    listed = client.get("/workers").json()["items"]
    assert [w["name"] for w in listed] == [worker.name] and listed[0]["hardware"] == cpu_hardware()[0]
    tiny = {"model": "test_resnet", "backend": "cpu", "duration_s": 1}
    by_name = client.post("/jobs", json=tiny | {"worker": worker.name}).json()["id"]
    by_hardware = client.post("/jobs", json=tiny | {"hardware": listed[0]["hardware"]}).json()["id"]
    for job_id in (by_name, by_hardware):
        assert wait_for_status(job_id, ("succeeded",), 120, worker).worker == worker.name
    elsewhere = client.post("/jobs", json=tiny | {"hardware": "NVIDIA H200"})
    assert elsewhere.status_code == 422 and elsewhere.json()["known"] == [listed[0]["hardware"]]
    assert "unknown hardware 'NVIDIA H200' for cpu jobs" in elsewhere.json()["message"]

    worker.stop()  # a warm shutdown: the worker marks itself stopped, and is no longer listed
    with session_scope() as session:
        assert session.get(Worker, worker.name).state == "stopped"
    assert client.get("/workers").json()["items"] == []
    waiting = client.post("/jobs", json=tiny | {"worker": worker.name})
    assert waiting.status_code == 202, waiting.text
    assert waiting.json()["detail"].startswith(f"waiting for worker {worker.name} (not connected")
