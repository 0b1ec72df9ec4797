"""GET /workers, and jobs that name a worker or a hardware label: their queue, checks and waiting detail (unknown
targets: test_targets_api.py)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from shared.db.engine import session_scope
from shared.db.tables import Worker
from shared.jobs.presence import announce, depart
from shared.jobs.queues import queues_of

CPU = "Intel Xeon Processor, 2 cores"


def connect(name: str, backend: str = "cpu", hardware: str = CPU, state: str = "idle") -> None:
    with session_scope() as session:
        announce(session, Worker(name=name, backend=backend, hardware=hardware, host="h", state=state,
                                 queues=queues_of(backend, name, hardware)))


def stop(name: str) -> None:
    with session_scope() as session:
        depart(session, name)


def test_lists_live_workers_with_their_queues(client: TestClient) -> None:
    assert client.get("/workers").json() == {"items": [], "total": 0}
    connect("cpu-1@a")
    connect("gpu-0@b", backend="gpu", hardware="NVIDIA H200")
    body = client.get("/workers").json()
    assert [(w["name"], w["backend"], w["hardware"], w["host"], w["state"]) for w in body["items"]] == [
        ("cpu-1@a", "cpu", CPU, "h", "idle"), ("gpu-0@b", "gpu", "NVIDIA H200", "h", "idle")]
    assert body["items"][1]["queues"] == ["gpu", "worker.gpu-0-b", "hw.gpu.nvidia-h200"]
    assert body["items"][0]["last_heartbeat"]
    assert [w["name"] for w in client.get("/workers", params={"backend": "gpu"}).json()["items"]] == ["gpu-0@b"]
    stop("gpu-0@b")  # known still (a job may name it), but not connected: not listed
    assert [w["name"] for w in client.get("/workers").json()["items"]] == ["cpu-1@a"]


def test_a_job_for_a_stopped_worker_waits_for_it_to_come_back(client: TestClient) -> None:
    connect("cpu-1@a")
    connect("cpu-2@b", state="busy")
    stop("cpu-2@b")
    job = client.post("/jobs", json={"model": "resnet50", "backend": "cpu", "worker": "cpu-2@b"}).json()
    assert (job["target_worker"], job["target_hardware"]) == ("cpu-2@b", None)
    assert job["detail"].startswith("waiting for worker cpu-2@b (not connected; see GET /workers")
    connect("cpu-2@b", state="busy")
    assert client.get(f"/jobs/{job['id']}").json()["detail"] == "waiting for worker cpu-2@b (busy, 0 queued ahead for it)"


def test_a_job_for_a_hardware_label_waits_for_matching_workers(client: TestClient) -> None:
    connect("cpu-1@a")
    connect("gpu-1@c", backend="gpu", hardware="NVIDIA H200")
    stop("gpu-1@c")
    job = client.post("/jobs", json={"model": "resnet50", "backend": "gpu", "hardware": "NVIDIA H200"}).json()
    assert job["detail"].startswith("waiting for a gpu worker on NVIDIA H200 (none connected")
    connect("gpu-0@b", backend="gpu", hardware="NVIDIA H100")
    assert "none connected" in client.get(f"/jobs/{job['id']}").json()["detail"]  # other hardware does not count
    connect("gpu-1@c", backend="gpu", hardware="NVIDIA H200")
    assert client.get(f"/jobs/{job['id']}").json()["detail"] == (
        "waiting for a gpu worker on NVIDIA H200 (1 connected, 0 busy, 0 queued ahead)")


def test_targets_are_checked(client: TestClient) -> None:
    connect("gpu-0@b", backend="gpu", hardware="NVIDIA H200")
    wrong = client.post("/jobs", json={"model": "resnet50", "backend": "cpu", "worker": "gpu-0@b"})
    assert wrong.status_code == 422 and "runs gpu jobs, not cpu" in wrong.text
    both = client.post("/jobs", json={"model": "resnet50", "backend": "gpu", "worker": "gpu-0@b", "hardware": "x"})
    assert both.status_code == 422 and "not both" in both.text
    suite = client.post("/suites", json={"backend": "gpu", "hardware": "NVIDIA H200"}).json()
    assert {j["target_hardware"] for j in client.get("/jobs", params={"limit": 100}).json()["items"]} == {"NVIDIA H200"}
    assert suite["total"] == 26
