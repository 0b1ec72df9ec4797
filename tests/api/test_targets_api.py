"""A job, suite or sweep may name only a worker or a hardware label announced within the queue TTL (stopped workers
included): anything else is a 422 that lists the known ones and queues nothing, since its broker queue would never
be read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import col, update

from shared.db.engine import session_scope
from shared.db.tables import Worker, utcnow
from shared.jobs.presence import announce, depart
from shared.jobs.queues import queues_of

CPU = "Intel Xeon Processor, 2 cores"
GPU = "NVIDIA H200"
JOB = {"model": "resnet50", "backend": "cpu"}


def connect(name: str, backend: str = "cpu", hardware: str = CPU, cores: int | None = None) -> None:
    with session_scope() as session:
        announce(session, Worker(name=name, backend=backend, hardware=hardware, host="h", physical_cores=cores,
                                 queues=queues_of(backend, name, hardware)))


def stop(name: str) -> None:
    with session_scope() as session:
        depart(session, name)


def last_seen(name: str, hours_ago: float) -> None:
    with session_scope() as session:
        session.execute(update(Worker).where(col(Worker.name) == name)
                        .values(last_heartbeat=utcnow() - timedelta(hours=hours_ago)))
        session.commit()


def refused(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(path, json=body)
    assert answer.status_code == 422, answer.text
    return answer.json()


def queued(client: TestClient) -> int:
    return client.get("/jobs").json()["total"]


def test_an_unknown_worker_is_refused_listing_the_known_ones(client: TestClient) -> None:
    nothing_seen = refused(client, "/jobs", JOB | {"worker": "cpu@nowhere"})
    assert nothing_seen["message"] == ("unknown worker 'cpu@nowhere': no worker has announced itself within the last 24 h; "
                                       "start one with `make worker` (or leave worker out: any cpu worker takes the job)")
    assert nothing_seen["known"] == []
    connect("cpu@a")
    connect("gpu0@b", backend="gpu", hardware=GPU)
    stop("gpu0@b")  # stopped: still known
    connect("cpu@old")
    last_seen("cpu@old", hours_ago=25)  # beyond the queue TTL: forgotten
    some_seen = refused(client, "/jobs", JOB | {"worker": "cpu@nowhere"})
    assert some_seen["message"] == (
        "unknown worker 'cpu@nowhere': no worker of that name has announced itself within the last 24 h; known workers: "
        "cpu@a (cpu), gpu0@b (gpu) (GET /workers lists the connected ones)")
    assert some_seen["known"] == ["cpu@a", "gpu0@b"]
    assert "unknown worker 'cpu@old'" in refused(client, "/jobs", JOB | {"worker": "cpu@old"})["message"]
    # A name too long for a broker file of the embedded transport is refused like any other, before any queue exists.
    assert "unknown worker" in refused(client, "/jobs", JOB | {"worker": "w" * 200})["message"]
    assert queued(client) == 0


def test_an_unknown_hardware_label_is_refused_listing_its_backends_labels(client: TestClient) -> None:
    connect("cpu@a")
    no_gpu = refused(client, "/jobs", JOB | {"backend": "gpu", "hardware": CPU})
    assert no_gpu["message"] == (
        f"unknown hardware '{CPU}' for gpu jobs: no gpu worker has announced itself within the last 24 h; start one with "
        f"`make worker-gpu` on a machine with a GPU; '{CPU}' is cpu hardware: ask backend cpu (or leave hardware out: "
        "any gpu worker takes the job)")
    assert no_gpu["known"] == []
    connect("gpu0@b", backend="gpu", hardware=GPU)
    other = refused(client, "/jobs", JOB | {"hardware": "AMD EPYC, 8 cores"})
    assert other["message"] == (
        "unknown hardware 'AMD EPYC, 8 cores' for cpu jobs: no cpu worker on it has announced itself within the last "
        f"24 h; known cpu hardware: '{CPU}' (or leave hardware out: any cpu worker takes the job)")
    assert other["known"] == [CPU]  # the job's backend's labels only
    assert "'NVIDIA H200' is gpu hardware: ask backend gpu" in refused(client, "/jobs", JOB | {"hardware": GPU})["message"]
    assert queued(client) == 0


def test_a_label_differing_only_in_case_and_punctuation_is_taken_as_announced(client: TestClient) -> None:
    connect("gpu0@b", backend="gpu", hardware=GPU)
    stop("gpu0@b")
    job = client.post("/jobs", json=JOB | {"backend": "gpu", "hardware": "nvidia-h200"})
    assert job.status_code == 202, job.text
    assert job.json()["target_hardware"] == GPU
    assert job.json()["detail"].startswith("waiting for a gpu worker on NVIDIA H200 (none connected")


def test_suites_and_sweeps_refuse_unknown_targets_and_queue_nothing(client: TestClient) -> None:
    connect("cpu@a", cores=2)
    suite = refused(client, "/suites", {"backend": "cpu", "worker": "cpu@b"})
    assert suite["message"].startswith("unknown worker 'cpu@b'") and suite["known"] == ["cpu@a"]
    sweep = refused(client, "/sweeps", {"models": ["resnet18"], "backend": "cpu", "hardware": "Other CPU", "streams": [1]})
    assert sweep["message"].startswith("unknown hardware 'Other CPU' for cpu jobs") and sweep["known"] == [CPU]
    assert (queued(client), client.get("/suites").json()["total"], client.get("/sweeps").json()["total"]) == (0, 0, 0)


def test_a_sweep_for_a_stopped_worker_follows_the_cores_it_announced(client: TestClient) -> None:
    connect("four@a", cores=4)
    connect("two@b", cores=2)
    stop("four@a")
    sweep = client.post("/sweeps", json={"models": ["resnet18"], "backend": "cpu", "batch_sizes": [1], "worker": "four@a"})
    assert sweep.status_code == 202, sweep.text
    assert (sweep.json()["streams"], sweep.json()["streams_from"]) == ([1, 2, 4], "four@a")
    jobs = client.get("/jobs", params={"limit": 100}).json()["items"]
    assert {(j["target_worker"], j["status"]) for j in jobs} == {("four@a", "queued")}


def test_a_long_list_of_known_workers_is_cut_in_the_message_but_whole_in_known(client: TestClient) -> None:
    names = [f"cpu-{n:02d}@farm" for n in range(1, 23)]
    for name in names:
        connect(name)
    answer = refused(client, "/jobs", JOB | {"worker": "cpu-99@farm"})
    assert "cpu-20@farm (cpu) and 2 more (GET /workers" in answer["message"] and "cpu-21@farm" not in answer["message"]
    assert answer["known"] == names
