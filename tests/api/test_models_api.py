"""GET /models, GET/PUT /models/{name}, POST /models (custom variants), and accuracy joined onto results.

A variant is counted by a CPU worker's task; here that task's function (shared.catalog.counting.count_variant) runs in
the test's process, with the real count subprocess. tests/e2e/test_variants_end_to_end.py has real workers count."""

from __future__ import annotations

from typing import Any

import pytest
import timm
import torch
from fastapi.testclient import TestClient

from shared.catalog.counting import count_variant
from shared.catalog.registry import load_snapshot
from shared.db.engine import session_scope
from shared.db.tables import Job
from shared.settings import get_settings
from tests.factories import make_result, seed

LEVIT_768 = {"name": "levit_768_star", "base": "levit_384", "label": "LeViT-768*",
             "kwargs": {"embed_dim": [768, 1024, 1280], "num_heads": [12, 16, 20]}, "top1": 84.2, "source": "seed study chart"}



def test_a_variant_label_that_could_carry_markup_or_a_formula_is_refused(client: TestClient) -> None:
    for label in ("<img src=x onerror=alert(1)>", '<a href="http://evil">x</a>', '=HYPERLINK("http://evil")'):
        refused = client.post("/models", json=LEVIT_768 | {"label": label})
        assert refused.status_code == 422 and "label" in refused.text, label
    assert client.get("/models/levit_768_star").status_code == 404

def test_lists_every_benchmarkable_architecture_catalog_first(client: TestClient) -> None:
    body = client.get("/models", params={"limit": 10000}).json()
    assert body["total"] == len(load_snapshot()["models"]) == len(body["items"])
    first = body["items"][0]
    assert first["curated"] and first["top1"] is not None
    unknown = client.get("/models", params={"known": "false", "limit": 1}).json()
    assert unknown["total"] > 0 and unknown["items"][0]["top1"] is None
    levit = client.get("/models", params={"q": "LeViT-25"}).json()  # by label too
    assert [m["name"] for m in levit["items"]] == ["levit_256"]
    expected = {"family": "hybrid", "top1": 81.506, "default_tag": "fb_dist_in1k", "seed": True, "top1_img_size": 224}
    assert {key: levit["items"][0][key] for key in expected} == expected
    mlp = client.get("/models", params={"family": "MLP", "limit": 10000}).json()["items"]
    assert mlp and all(m["family"] == "MLP" for m in mlp)
    seed_models = client.get("/models", params={"seed": "true"}).json()
    assert seed_models["total"] == 26
    assert client.get("/models", params={"limit": 10001}).status_code == 422


def test_one_model_lists_every_tag_with_its_figures(client: TestClient) -> None:
    body = client.get("/models/resnet50").json()
    tags = {t["tag"]: t for t in body["tags"]}
    assert {f["img_size"] for f in tags["a1_in1k"]["figures"]} == {224, 288}
    assert tags["bamboo"]["figures"] == []
    missing = client.get("/models/resnet5O")
    assert missing.status_code == 404 and "resnet50" in missing.json()["detail"]


def test_a_correction_applies_to_results_already_stored(client: TestClient) -> None:
    seed(make_result(1))  # resnet50.a1_in1k at 224
    assert client.get("/results").json()["items"][0]["top1"] == 80.382
    response = client.put("/models/resnet50", json={"top1": 79.5, "top5": 94.0, "source": "our own eval"})
    assert response.status_code == 200 and response.json()["corrected"] and response.json()["top1"] == 79.5
    result = client.get("/results").json()["items"][0]
    assert (result["top1"], result["top1_source"]) == (79.5, "our own eval")
    csv_text = client.get("/results", params={"format": "csv"}).text
    assert "top1" in csv_text.splitlines()[0] and "79.5" in csv_text
    other_tag = client.put("/models/resnet50.tv_in1k", json={"top1": 76.0, "source": "x"})
    assert other_tag.status_code == 200 and other_tag.json()["top1"] == 79.5  # the default tag's figure is unchanged


@pytest.mark.parametrize(("name", "body", "status", "says"), [
    ("resnet50.nope", {"top1": 80, "source": "x"}, 422, "no pretrained tag 'nope'"),
    ("resnt50", {"top1": 80, "source": "x"}, 422, "closest names"),
    ("resnet50", {"top1": 180, "source": "x"}, 422, "less than or equal to 100"),
    ("resnet50", {"top1": 80}, 422, "source is required"),
    ("resnet50", {"top1": 80, "source": "x", "weights": "y"}, 422, "accepted: top1, top5, img_size, source"),
])
def test_bad_corrections_say_what_to_fix(client: TestClient, name: str, body: dict[str, object], status: int,
                                         says: str) -> None:
    response = client.put(f"/models/{name}", json=body)
    assert response.status_code == status and says in response.text, response.text


def count(name: str) -> str:
    """What a CPU worker's count task does (worker_cpu.tasks.count_parameters)."""
    with session_scope() as session:
        return count_variant(session, name)


def job_row(job_id: str) -> Job:
    with session_scope() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def test_a_variant_waits_pending_until_counted_then_its_waiting_job_is_handed_to_a_worker(client: TestClient) -> None:
    response = client.post("/models", json=LEVIT_768)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == "/models/levit_768_star"
    body = response.json()
    assert (body["state"], body["params_m"], body["reason"]) == ("pending", None, None)
    assert (body["kind"], body["label"], body["top1"], body["family"]) == ("variant", "LeViT-768*", 84.2, "hybrid")
    assert client.get("/models", params={"q": "768"}).json()["items"][0]["state"] == "pending"

    job = client.post("/jobs", json={"model": "levit_768_star", "backend": "cpu"})
    assert job.status_code == 202, job.text
    job_id = job.json()["id"]
    assert (job.json()["model"], job.json()["base_model"], job.json()["model_kwargs"]) == (
        "levit_768_star", "levit_384", LEVIT_768["kwargs"])
    assert job.json()["detail"].startswith("waiting for a CPU worker to count the parameters of variant levit_768_star")
    assert job_row(job_id).published_at is None  # held: no worker can take it yet

    assert count("levit_768_star") == "ready"
    with torch.device("meta"):
        expected = sum(p.numel() for p in timm.create_model("levit_384", **LEVIT_768["kwargs"]).parameters()) / 1e6
    counted = client.get("/models/levit_768_star").json()
    assert counted["state"] == "ready" and counted["reason"] is None
    assert counted["params_m"] == pytest.approx(expected, abs=1e-3) and counted["params_m"] > 100
    assert job_row(job_id).published_at is not None  # handed to the broker by the count
    assert "count" not in client.get(f"/jobs/{job_id}").json()["detail"]
    assert count("levit_768_star") == "ready"  # a duplicate task (the reaper sent it again) changes nothing

    again = client.post("/models", json=LEVIT_768)
    assert again.status_code == 409 and "PUT /models/levit_768_star" in again.text
    corrected = client.put("/models/levit_768_star", json={"top1": 84.0, "source": "re-evaluated"})
    assert corrected.status_code == 200 and corrected.json()["top1"] == 84.0


def test_a_variant_over_the_parameter_limit_is_refused_and_so_are_its_jobs(client: TestClient,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPEEDBOARD_MAX_PARAMS_M", "100")
    get_settings.cache_clear()
    assert client.post("/models", json=LEVIT_768).status_code == 202
    waiting = client.post("/jobs", json={"model": "levit_768_star", "backend": "cpu"}).json()["id"]
    assert count("levit_768_star") == "refused"
    refused = client.get("/models/levit_768_star").json()
    assert refused["state"] == "refused" and refused["params_m"] > 100
    assert "above this server's limit of 100 M (SPEEDBOARD_MAX_PARAMS_M)" in refused["reason"]
    failed = client.get(f"/jobs/{waiting}").json()  # the job that waited ends with the reason
    assert failed["status"] == "failed" and failed["error"].startswith("variant levit_768_star was refused: ")
    assert "above this server's limit of 100 M" in failed["error"] and job_row(waiting).published_at is None
    later = client.post("/jobs", json={"model": "levit_768_star", "backend": "cpu"})
    assert later.status_code == 422 and "variant levit_768_star was refused" in later.text
    assert "above this server's limit of 100 M" in later.json()["message"]

    smaller = LEVIT_768 | {"kwargs": {"embed_dim": [256, 384, 512]}}  # a refused variant's name may be used again
    registered = client.post("/models", json=smaller)
    assert registered.status_code == 202 and registered.json()["state"] == "pending", registered.text
    assert registered.json()["reason"] is None and registered.json()["kwargs"] == smaller["kwargs"]
    assert count("levit_768_star") == "ready"
    assert client.post("/jobs", json={"model": "levit_768_star", "backend": "cpu"}).status_code == 202


def test_a_variant_timm_cannot_build_is_refused_with_the_constructors_message(client: TestClient) -> None:
    response = client.post("/models", json={"name": "bad_variant", "base": "test_vit", "kwargs": {"embed_dim": [64]}})
    assert response.status_code == 202 and response.json()["state"] == "pending", response.text
    assert count("bad_variant") == "refused"
    refused = client.get("/models/bad_variant").json()
    assert refused["reason"].startswith("timm could not build test_vit with {'embed_dim': [64]}: ")
    assert refused["params_m"] is None
    job = client.post("/jobs", json={"model": "bad_variant", "backend": "cpu"})
    assert job.status_code == 422 and "timm could not build test_vit" in job.text


@pytest.mark.parametrize(("kwargs", "says"), [
    ({"pretrained": 1}, "kwargs.pretrained is refused"),
    ({"pretrained_cfg_overlay": {"file": "/etc/passwd"}}, "kwargs.pretrained_cfg_overlay is refused"),
    ({"checkpoint_path": "/tmp/w.pth"}, "kwargs.checkpoint_path is refused"),
    ({"embed_dim": "/etc/passwd"}, "strings are refused"),
    ({"embed_dim": ["hf-hub:timm/x"]}, "strings are refused"),
    ({"embed_dim": {"a": 1}}, "must be a number or a list of numbers"),
    ({"depth": -1}, "between 0 and"),
    ({"act_layer": 3}, "kwargs.act_layer is not an allowed argument"),
    ({"img_size": [160, 128]}, "pair of two equal ones"),
    ({"img_size": 8}, "from 32 to 1024"),
    ({"embed_dim": 1_000_000}, "kwargs.embed_dim must be a finite number between 0 and 16,384"),
    ({"depth": 100_000}, "kwargs.depth must be a finite number between 0 and 1,000"),
    ({"depths": [2, 2, 5000, 2]}, "kwargs.depths must be a finite number between 0 and 1,000"),
    ({"num_heads": 4096}, "between 0 and 1,024"),
    ({"mlp_ratio": 1000.0}, "between 0 and 64"),
])
def test_variant_kwargs_that_could_read_download_or_stall_are_refused_at_once(client: TestClient,
                                                                              kwargs: dict[str, object], says: str) -> None:
    response = client.post("/models", json={"name": "bad_variant", "base": "test_vit", "kwargs": kwargs})
    assert response.status_code == 422 and says in response.text, response.text
    assert client.get("/models/bad_variant").status_code == 404  # nothing was stored


def test_a_square_image_size_given_as_a_pair_is_the_variants_input_size(client: TestClient) -> None:
    response = client.post("/models", json={"name": "vit_160", "base": "test_vit", "kwargs": {"img_size": [160, 160]}})
    assert response.status_code == 202 and response.json()["input_size"] == 160, response.text
    job = client.post("/jobs", json={"model": "vit_160", "backend": "cpu"})
    assert job.status_code == 202 and job.json()["input_size"] == 160, job.text


def test_a_correction_of_a_variant_changes_its_figures_never_its_input_size(client: TestClient) -> None:
    variant: dict[str, Any] = {"name": "vit_160", "base": "test_vit", "kwargs": {"img_size": 160}}
    assert client.post("/models", json=variant).status_code == 202
    resized = client.put("/models/vit_160", json={"top1": 70.0, "img_size": 224, "source": "x"})
    assert resized.status_code == 422, resized.text
    assert "a variant's input size comes from its kwargs.img_size (vit_160 runs at 160)" in resized.json()["message"]
    assert "register a new variant with POST /models" in resized.json()["message"]
    corrected = client.put("/models/vit_160", json={"top1": 70.0, "source": "own evaluation"})
    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["top1"], corrected.json()["input_size"]) == (70.0, 160)
    assert client.post("/jobs", json={"model": "vit_160", "backend": "cpu"}).json()["input_size"] == 160
    own = load_snapshot()["models"]["test_vit"]["input_size"]
    plain = client.post("/models", json={"name": "vit_plain", "base": "test_vit", "kwargs": {"depth": 1}})
    assert plain.json()["input_size"] == own  # the base's own size when kwargs set none
    assert client.put("/models/vit_plain", json={"top1": 60.0, "source": "x"}).json()["input_size"] == own
    assert client.put("/models/vit_plain", json={"top1": 60.0, "img_size": 224, "source": "x"}).status_code == 422


def test_variant_names_are_checked(client: TestClient) -> None:
    taken = client.post("/models", json={"name": "resnet50", "base": "resnet50", "kwargs": {}})
    assert taken.status_code == 409 and "is a timm architecture" in taken.text
    dotted = client.post("/models", json={"name": "my.variant", "base": "resnet50", "kwargs": {}})
    assert dotted.status_code == 422
    unknown_base = client.post("/models", json={"name": "mine", "base": "resnet5O", "kwargs": {}})
    assert unknown_base.status_code == 422 and "resnet50" in unknown_base.text
    hub_base = client.post("/models", json={"name": "mine", "base": "hf-hub:timm/resnet50", "kwargs": {}})
    assert hub_base.status_code == 422 and "unknown model" in hub_base.text
    no_source = client.post("/models", json={"name": "mine", "base": "test_vit", "kwargs": {}, "top1": 50})
    assert no_source.status_code == 422 and "source" in no_source.text
    assert client.get("/models/mine").status_code == 404
