"""POST /sweeps queues models × batch sizes × streams, with default streams from the worker's cores and points that
cannot fit skipped; GET and DELETE /sweeps/{id} follow and cancel it, and DELETE /suites/{id} a suite."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import col, update

from shared.db.engine import session_scope
from shared.db.tables import Job, Worker
from shared.jobs.presence import announce
from shared.jobs.queues import queues_of


def connect(name: str, cores: int | None, memory_gb: float | None = 24.0, backend: str = "cpu",
            hardware: str = "AMD EPYC, 8 cores") -> None:
    with session_scope() as session:
        announce(session, Worker(name=name, backend=backend, hardware=hardware, host="h",
                                 queues=queues_of(backend, name, hardware), physical_cores=cores, memory_gb=memory_gb))


def points(sweep: dict[str, Any]) -> list[tuple[str, int, int | None]]:
    return sorted((job["model"], job["batch_size"], job["streams"]) for job in sweep["jobs"])


def test_a_cpu_sweep_defaults_to_six_batch_sizes_and_the_largest_workers_cores(client: TestClient) -> None:
    connect("small@a", cores=2)
    connect("big@b", cores=8)
    response = client.post("/sweeps", json={"models": ["resnet18"], "backend": "cpu", "duration_s": 3})
    assert response.status_code == 202, response.text
    sweep = response.json()
    assert response.headers["location"] == f"/sweeps/{sweep['id']}"
    assert (sweep["batch_sizes"], sweep["streams"], sweep["streams_from"]) == ([1, 2, 4, 8, 16, 32], [1, 4, 8], "big@b")
    assert sweep["total"] == 18 and sweep["skipped"] == [] and sweep["chart_url"] == f"/charts?suite={sweep['id']}"
    assert points(sweep) == sorted(("resnet18", b, s) for b in (1, 2, 4, 8, 16, 32) for s in (1, 4, 8))
    jobs = client.get("/jobs", params={"limit": 100}).json()["items"]
    assert {(j["engine"], j["precision"], j["duration_s"], j["repeats"], j["suite_id"]) for j in jobs} == {
        ("openvino", "auto", 3.0, 1, sweep["id"])}


def test_default_streams_follow_the_named_worker_and_are_not_repeated(client: TestClient) -> None:
    connect("two@a", cores=2)
    connect("big@b", cores=8)
    sweep = client.post("/sweeps", json={"models": ["resnet18", "resnet18"], "backend": "cpu", "batch_sizes": [8, 1, 8],
                                         "worker": "two@a"}).json()
    assert (sweep["models"], sweep["batch_sizes"], sweep["streams"], sweep["streams_from"]) == (
        ["resnet18"], [1, 8], [1, 2], "two@a")
    assert points(sweep) == [("resnet18", 1, 1), ("resnet18", 1, 2), ("resnet18", 8, 1), ("resnet18", 8, 2)]
    one = client.post("/sweeps", json={"models": ["resnet18"], "backend": "cpu", "batch_sizes": [1],
                                       "hardware": "AMD EPYC, 8 cores", "streams": [3, 1, 3]}).json()
    assert (one["streams"], one["streams_from"]) == ([1, 3], None)


def test_without_a_worker_default_streams_cannot_be_chosen_and_the_error_says_what_to_do(client: TestClient) -> None:
    refused = client.post("/sweeps", json={"models": ["resnet18"], "backend": "cpu"})
    assert refused.status_code == 422
    assert "start a worker" in refused.json()["message"] and "give streams" in refused.json()["message"]
    connect("no-cores@a", cores=None)
    assert client.post("/sweeps", json={"models": ["resnet18"], "backend": "cpu"}).status_code == 422
    given = client.post("/sweeps", json={"models": ["resnet18"], "backend": "cpu", "streams": [1], "batch_sizes": [1]})
    assert given.status_code == 202 and given.json()["total"] == 1


def test_a_gpu_sweep_varies_batch_only(client: TestClient) -> None:
    sweep = client.post("/sweeps", json={"models": ["resnet18"], "backend": "gpu"}).json()
    assert (sweep["batch_sizes"], sweep["streams"], sweep["engine"]) == ([1, 8, 32, 64, 128, 256], [None], "tensorrt")
    assert {j["streams"] for j in sweep["jobs"]} == {None}
    refused = client.post("/sweeps", json={"models": ["resnet18"], "backend": "gpu", "streams": [1, 2]})
    assert refused.status_code == 422 and "cpu sweeps only" in refused.json()["message"]


def test_points_whose_inputs_cannot_fit_the_workers_memory_are_skipped_with_the_reason(client: TestClient) -> None:
    connect("tiny@a", cores=2, memory_gb=1.0)  # 1 GiB: batch 1024 × 3 × 224² fp32 is 588 MiB per stream in flight
    sweep = client.post("/sweeps", json={"models": ["resnet18"], "backend": "cpu", "batch_sizes": [1, 1024]}).json()
    assert points(sweep) == [("resnet18", 1, 1), ("resnet18", 1, 2), ("resnet18", 1024, 1)]
    [skipped] = sweep["skipped"]
    assert (skipped["model"], skipped["batch_size"], skipped["streams"]) == ("resnet18", 1024, 2)
    assert "1,176 MB" in skipped["reason"] and "tiny@a" in skipped["reason"]
    nothing = client.post("/sweeps", json={"models": ["resnet18"], "backend": "cpu", "batch_sizes": [4096]})
    assert nothing.status_code == 422  # its smallest point is refused as a job would be, saying what fits
    assert "batch 512 or less would fit at input size 224" in nothing.json()["message"]


def test_a_bad_model_refuses_the_whole_sweep_and_queues_nothing(client: TestClient) -> None:
    connect("w@a", cores=2)
    refused = client.post("/sweeps", json={"models": ["resnet18", "resnet5O"], "backend": "cpu"})
    assert refused.status_code == 422 and "unknown model 'resnet5O'" in refused.json()["message"]
    assert client.get("/jobs").json()["total"] == 0 and client.get("/sweeps").json()["total"] == 0
    too_many = client.post("/sweeps", json={"models": [f"resnet{n}" for n in (18, 34, 50, 101, 152)],
                                            "backend": "cpu", "batch_sizes": list(range(1, 17)), "streams": list(range(1, 8))})
    assert too_many.status_code == 422 and "560 points" in too_many.json()["message"]
    bad_axis = client.post("/sweeps", json={"models": ["resnet18"], "backend": "cpu", "batch_sizes": [0]})
    assert bad_axis.status_code == 422
    too_long = client.post("/sweeps", json={"models": ["resnet18"], "backend": "cpu", "streams": [1], "batch_sizes": [1],
                                            "duration_s": 600, "repeats": 10})
    assert too_long.status_code == 422 and "job time limit" in too_long.json()["message"]


def test_sweeps_and_suites_are_listed_apart_and_each_read_under_its_own_path(client: TestClient) -> None:
    connect("w@a", cores=2)
    sweep = client.post("/sweeps", json={"models": ["resnet18"], "backend": "cpu", "batch_sizes": [1]}).json()
    suite = client.post("/suites", json={"backend": "cpu"}).json()
    assert [s["id"] for s in client.get("/sweeps").json()["items"]] == [sweep["id"]]
    assert [s["id"] for s in client.get("/suites").json()["items"]] == [suite["id"]]
    wrong = client.get(f"/suites/{sweep['id']}")
    assert wrong.status_code == 404 and f"GET /sweeps/{sweep['id']}" in wrong.json()["message"]
    assert client.get(f"/sweeps/{suite['id']}").status_code == 404
    assert client.get("/sweeps/nope").status_code == 404


def test_deleting_a_sweep_or_a_suite_cancels_every_job_that_has_not_ended(client: TestClient) -> None:
    connect("w@a", cores=2)
    for path, body in (("/sweeps", {"models": ["resnet18"], "backend": "cpu", "batch_sizes": [1, 2]}),
                       ("/suites", {"backend": "cpu"})):
        group = client.post(path, json=body).json()
        done, running = group["jobs"][0]["id"], group["jobs"][1]["id"]
        with session_scope() as session:
            session.execute(update(Job).where(col(Job.id) == done).values(status="succeeded", progress=1.0))
            session.execute(update(Job).where(col(Job.id) == running).values(status="running", worker="w@a"))
            session.commit()
        cancelled = client.delete(f"{path}/{group['id']}")
        assert cancelled.status_code == 202
        statuses = {job["id"]: job["status"] for job in cancelled.json()["jobs"]}
        assert statuses.pop(done) == "succeeded" and statuses.pop(running) == "cancelling"
        assert set(statuses.values()) <= {"cancelled"}
        assert client.delete(f"{path}/{group['id']}").status_code == 202  # again: nothing left to cancel, no error
    assert client.delete("/sweeps/nope").status_code == 404


def test_blank_or_repeated_models_are_refused_or_swept_once(client: TestClient) -> None:
    connect("w@a", cores=2)
    blank = client.post("/sweeps", json={"models": ["resnet18", " "], "backend": "cpu", "streams": [1]})
    assert blank.status_code == 422 and "not a timm model name" in blank.json()["message"]
    once = client.post("/sweeps", json={"models": ["resnet18", "resnet18.a1_in1k", "resnet18"], "backend": "cpu",
                                        "batch_sizes": [1], "streams": [1]}).json()
    assert once["models"] == ["resnet18"] and once["total"] == 1


def test_default_streams_send_the_sweep_to_the_hardware_whose_cores_they_follow(client: TestClient) -> None:
    connect("small@a", cores=2, hardware="Small CPU, 2 cores")
    connect("big@b", cores=8, hardware="Big CPU, 8 cores")
    sweep = client.post("/sweeps", json={"models": ["resnet18"], "backend": "cpu", "batch_sizes": [1]}).json()
    jobs = client.get("/jobs", params={"limit": 100}).json()["items"]
    assert (sweep["streams"], {j["target_hardware"] for j in jobs}) == ([1, 4, 8], {"Big CPU, 8 cores"})
    given = client.post("/sweeps", json={"models": ["resnet34"], "backend": "cpu", "batch_sizes": [1], "streams": [2]})
    job = client.get("/jobs", params={"limit": 100}).json()["items"]
    assert given.status_code == 202 and {j["target_hardware"] for j in job if j["model"] == "resnet34"} == {None}


def test_a_sweep_naming_a_gpu_worker_on_cpu_says_so(client: TestClient) -> None:
    connect("g@a", cores=None, backend="gpu", hardware="NVIDIA H200")
    refused = client.post("/sweeps", json={"models": ["resnet18"], "backend": "cpu", "worker": "g@a"})
    assert refused.status_code == 422 and "runs gpu jobs, not cpu" in refused.json()["message"]
