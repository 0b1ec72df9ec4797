"""POST/GET/DELETE /jobs against a real database and broker, on both stacks."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from shared.catalog.registry import lookup


def post(client: TestClient, **body: object):  # type: ignore[no-untyped-def]
    return client.post("/jobs", json=body)


def test_accepts_a_job_with_seed_defaults(client: TestClient) -> None:
    response = post(client, model="resnet50", backend="cpu")
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/jobs/{job['id']}"
    assert job["status"] == "queued" and job["attempts"] == 0
    assert (job["engine"], job["precision"], job["batch_size"], job["streams"]) == ("openvino", "auto", 1, None)
    assert job["input_size"] == 224 and job["pretrained_tag"] == lookup("resnet50").default_tag
    assert job["detail"].startswith("waiting for a cpu worker (none connected")


def test_gpu_defaults_and_waiting_detail(client: TestClient) -> None:
    job = post(client, model="levit_256", backend="gpu").json()
    assert (job["engine"], job["batch_size"], job["precision"]) == ("tensorrt", 256, "auto")
    assert "waiting for a gpu worker (none connected" in client.get(f"/jobs/{job['id']}").json()["detail"]


def test_int8_jobs_are_calibrated_on_random_inputs_unless_told(client: TestClient) -> None:
    for backend in ("cpu", "gpu"):
        job = post(client, model="resnet50", backend=backend, precision="int8").json()
        assert (job["precision"], job["calibration"]) == ("int8", "random")
    assert post(client, model="resnet50", backend="cpu").json()["calibration"] is None  # float jobs name none


def test_tag_selects_accuracy_and_input_size_follows_the_model(client: TestClient) -> None:
    job = post(client, model="resnet50.tv_in1k", backend="cpu").json()
    assert (job["model"], job["pretrained_tag"]) == ("resnet50", "tv_in1k")
    assert post(client, model="vit_base_patch16_384", backend="cpu").json()["input_size"] == 384


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"model": "resnt50", "backend": "cpu"}, "closest names: resnet50"),
        ({"model": "hf-hub:timm/resnet50.a1_in1k", "backend": "cpu"}, "never downloads"),
        ({"model": "local-dir:/models/resnet", "backend": "cpu"}, "never downloads"),
        ({"model": "https://example.com/resnet50.pth", "backend": "cpu"}, "never downloads"),
        ({"model": "../weights/resnet50", "backend": "cpu"}, "never downloads"),
        ({"model": "resnet50;rm -rf", "backend": "cpu"}, "not a timm model name"),
        ({"model": "resnet50.no_such_tag", "backend": "cpu"}, "has no pretrained tag 'no_such_tag'"),
        ({"model": "resnet50.no_such_tag", "backend": "cpu"}, "and 7 more (GET /models/resnet50 lists them all)"),
        ({"model": "resnet50", "backend": "cpu", "engine": "tensorrt"}, "does not run on backend 'cpu'"),
        ({"model": "resnet50", "backend": "tpu"}, "backend"),
        ({"model": "resnet50", "backend": "cpu", "batch_size": 5000}, "batch_size must be a number from 1 to 4096"),
        ({"model": "resnet50", "backend": "cpu", "batch_size": 0}, "batch_size must be a number from 1 to 4096"),
        ({"model": "resnet50", "backend": "cpu", "streams": 257}, "streams must be a number from 1 to 256"),
        ({"model": "resnet50", "backend": "gpu", "streams": 2}, "streams applies to cpu jobs only"),
        ({"model": "resnet50", "backend": "cpu", "cuda_graphs": True}, 'use "backend": "gpu", "engine": "torch"'),
        ({"model": "resnet50", "backend": "cpu", "colour": "red"}, "accepted: model, backend, engine, precision"),
        ({"model": "resnet50", "backend": "cpu", "input_size": 16}, "input_size must be a number from 32 to 1024"),
        ({"model": "resnet50", "backend": "cpu", "duration_s": 601}, "duration_s must be a number from 1 to 600"),
        ({"model": "resnet50", "backend": "cpu", "precision": "int4"}, "precision"),
        ({"model": "resnet50", "backend": "gpu", "engine": "torch", "precision": "int8"},
         "int8 is built by the openvino and tensorrt engines, not by torch"),
        ({"model": "resnet50", "backend": "cpu", "precision": "fp16", "calibration": "random"},
         "calibration applies to precision int8 only"),
        ({"model": "resnet50", "backend": "cpu", "precision": "int8", "calibration": "imagenet"}, "calibration"),
        ({"model": "resnet50", "backend": "cpu", "colour": "red"}, "unknown field 'colour'"),
        ({"backend": "cpu"}, "model is required"),
    ],
)
def test_bad_input_gets_422_saying_what_to_do(client: TestClient, body: dict[str, object], expected: str) -> None:
    response = client.post("/jobs", json=body)
    assert response.status_code == 422, response.text
    assert expected in response.json()["message"]  # one shape for every error: `message` says what to do
    assert client.get("/jobs").json()["total"] == 0  # nothing was queued


def test_unknown_model_lists_suggestions(client: TestClient) -> None:
    body = post(client, model="convnext_tiniest", backend="cpu").json()
    assert "convnext_tiny" in body["suggestions"]


def test_models_over_the_parameter_limit_are_refused(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.settings import get_settings

    monkeypatch.setenv("SPEEDBOARD_MAX_PARAMS_M", "20")
    get_settings.cache_clear()
    response = post(client, model="resnet50", backend="cpu")
    assert response.status_code == 422 and "above this server's limit of 20 M" in response.text
    assert post(client, model="resnet18", backend="cpu").status_code == 202


def test_a_job_that_cannot_fit_the_largest_worker_seen_is_refused_saying_what_fits(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.db.engine import session_scope
    from shared.db.tables import Worker
    from shared.jobs.presence import announce, depart
    from shared.settings import get_settings

    huge = {"model": "resnet50", "backend": "cpu", "batch_size": 4096, "input_size": 1024}  # about 48 GiB a request
    assert post(client, **huge).status_code == 202  # nothing known of any machine: accepted
    monkeypatch.setenv("SPEEDBOARD_MAX_JOB_MEMORY_GB", "32")
    get_settings.cache_clear()
    response = post(client, **huge)  # streams unknown before a worker is seen: one request in flight
    assert response.status_code == 422 and "exceed the 32,768 MB of SPEEDBOARD_MAX_JOB_MEMORY_GB" in response.text
    with session_scope() as session:  # a worker announces its machine; it is remembered after it stops
        announce(session, Worker(name="cpu@small", backend="cpu", queues=["cpu"], hardware="x", host="h",
                                 physical_cores=2, memory_gb=23.5))
        depart(session, "cpu@small")
    refused = post(client, **huge)
    assert refused.status_code == 422, refused.text
    message = refused.json()["message"]
    assert message.startswith("resnet50 cannot fit in memory: its inputs in flight (2 × batch 4096 × 3 × 1024² fp32")
    assert "the largest cpu worker seen (cpu@small)" in message and "batch 512 or less would fit at input size 1024" in message
    assert post(client, **huge | {"batch_size": 512}).status_code == 202
    # No gpu worker was ever seen: the setting judges (one batch in flight, 48 GiB, over 32).
    assert post(client, **huge | {"backend": "gpu"}).status_code == 422


def test_malformed_json_is_a_422_not_a_500(client: TestClient) -> None:
    response = client.post("/jobs", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422


def test_cancel_a_queued_job_then_409_then_404(client: TestClient) -> None:
    job = post(client, model="resnet18", backend="cpu").json()
    cancelled = client.delete(f"/jobs/{job['id']}")
    assert cancelled.status_code == 202 and cancelled.json()["status"] == "cancelled"
    assert client.delete(f"/jobs/{job['id']}").status_code == 409
    assert client.delete("/jobs/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.get("/jobs/nope").status_code == 404


def test_list_jobs_newest_first_with_status_filter_and_paging(client: TestClient) -> None:
    ids = [post(client, model="resnet18", backend="cpu").json()["id"] for _ in range(3)]
    client.delete(f"/jobs/{ids[0]}")
    listing = client.get("/jobs").json()
    assert listing["total"] == 3 and [j["id"] for j in listing["items"]] == ids[::-1]
    queued = client.get("/jobs", params={"status": "queued"}).json()
    assert queued["total"] == 2 and {j["id"] for j in queued["items"]} == set(ids[1:])
    page = client.get("/jobs", params={"limit": 1, "offset": 1}).json()
    assert page["total"] == 3 and [j["id"] for j in page["items"]] == [ids[1]]
    assert client.get("/jobs", params={"limit": 0}).status_code == 422
    assert client.get("/jobs", params={"status": "lost"}).status_code == 422


def test_a_body_that_is_not_a_json_object_says_how_to_send_one(client: TestClient) -> None:
    plain = client.post("/jobs", content=b'{"model": "resnet50", "backend": "cpu"}', headers={"content-type": "text/plain"})
    assert plain.status_code == 422 and "content-type: application/json" in plain.json()["message"]
    broken = client.post("/jobs", content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 422 and "not valid JSON" in broken.json()["message"]
    assert "backend is required (cpu or gpu)" in client.post("/jobs", json={"model": "resnet50"}).text
