"""POST /suites queues the seed study with the seed's settings; GET /suites/{id} follows it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import col, update

from shared.catalog.seed import SEED_MODELS
from shared.db.engine import session_scope
from shared.db.tables import Job


def test_the_cpu_seed_suite_uses_the_seed_settings(client: TestClient) -> None:
    response = client.post("/suites", json={"backend": "cpu", "duration_s": 5})
    assert response.status_code == 202 and response.headers["location"] == f"/suites/{response.json()['id']}"
    suite = response.json()
    assert (suite["total"], suite["counts"], suite["done"]) == (len(SEED_MODELS), {"queued": len(SEED_MODELS)}, False)
    assert suite["chart_url"] == f"/charts?suite={suite['id']}"
    jobs = client.get("/jobs", params={"limit": 100}).json()["items"]
    assert sorted(j["model"] for j in jobs) == sorted(SEED_MODELS)
    for job in jobs:
        assert (job["backend"], job["engine"], job["precision"], job["batch_size"], job["streams"], job["duration_s"],
                job["suite_id"]) == ("cpu", "openvino", "auto", 1, None, 5.0, suite["id"])  # streams: the worker's cores


def test_the_gpu_seed_suite_is_tensorrt_auto_batch_256(client: TestClient) -> None:
    suite = client.post("/suites", json={"backend": "gpu"}).json()
    jobs = client.get("/jobs", params={"limit": 100}).json()["items"]
    assert {(j["engine"], j["precision"], j["batch_size"]) for j in jobs} == {("tensorrt", "auto", 256)}
    assert all("waiting for a gpu worker" in j["detail"] for j in jobs)
    listed = client.get("/suites").json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == suite["id"]


def test_the_seed_suite_in_int8_keeps_the_seed_settings_and_calibrates_on_random_inputs(client: TestClient) -> None:
    assert client.post("/suites", json={"backend": "cpu", "precision": "int8"}).status_code == 202
    jobs = client.get("/jobs", params={"limit": 100}).json()["items"]
    assert {(j["engine"], j["precision"], j["calibration"], j["batch_size"]) for j in jobs} == \
        {("openvino", "int8", "random", 1)}
    assert len(jobs) == len(SEED_MODELS)


def test_progress_counts_every_ended_job(client: TestClient) -> None:
    suite = client.post("/suites", json={"backend": "cpu"}).json()
    with session_scope() as session:
        ids = session.exec(Job.__table__.select().where(col(Job.suite_id) == suite["id"])).all()  # type: ignore[attr-defined]
        first, second = ids[0].id, ids[1].id
        session.execute(update(Job).where(col(Job.id) == first).values(status="succeeded", progress=1.0))
        session.execute(update(Job).where(col(Job.id) == second).values(status="running", progress=0.5))
        session.execute(update(Job).where(col(Job.suite_id) == suite["id"], col(Job.id).not_in([first, second]))
                        .values(status="failed", error="boom"))
        session.commit()
    progress = client.get(f"/suites/{suite['id']}").json()
    total = len(SEED_MODELS)
    assert progress["counts"] == {"succeeded": 1, "running": 1, "failed": total - 2}
    assert (progress["finished"], progress["done"]) == (total - 1, False)
    assert progress["progress"] == round((total - 1 + 0.5) / total, 3)


def test_bad_suites_say_what_to_fix(client: TestClient) -> None:
    assert client.get("/suites/nope").status_code == 404
    unknown = client.post("/suites", json={"name": "imagenet-all", "backend": "cpu"})
    assert unknown.status_code == 422 and "seed" in unknown.text
    missing = client.post("/suites", json={"name": "seed"})
    assert missing.status_code == 422 and "backend is required" in missing.text
