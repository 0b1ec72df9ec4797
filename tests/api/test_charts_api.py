"""GET /charts/data: one chart per backend, hardware, engine and precision, the latest run of each configuration,
the frontier and insights; and the page, its redirect and plotly.js served locally."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import col, update

from shared.db.engine import session_scope
from shared.db.tables import CatalogEntry, Result
from tests.factories import make_result, precision_results, seed

CPU = "Intel Xeon Processor, 2 cores"


def seed_study() -> None:
    seed(
        make_result(1, throughput=120.0),  # resnet50.a1_in1k: 80.382
        make_result(2, throughput=130.0),  # a second run of the same configuration
        make_result(3, model="levit_256", pretrained_tag="fb_dist_in1k", throughput=260.0),  # 81.506
        make_result(4, model="convnext_small", pretrained_tag="in12k_ft_in1k", throughput=40.0),  # 85.164
        make_result(5, model="mobilenetv3_large_100", pretrained_tag="ra_in1k", throughput=800.0),  # 75.784
        make_result(6, model="tresnet_l", pretrained_tag="miil_in1k", throughput=55.0),  # 81.498: dominated by levit_256
        make_result(7, model="test_vit", pretrained_tag=None, throughput=900.0),  # accuracy unknown
        make_result(8, backend="gpu", engine="tensorrt", hardware="NVIDIA H200", batch_size=256, throughput=9000.0),
        make_result(9, precision="fp32", precision_used="fp32", throughput=60.0),
    )


def test_one_chart_per_backend_hardware_engine_and_precision(client: TestClient) -> None:
    seed_study()
    body = client.get("/charts/data").json()
    assert [c["key"] for c in body["charts"]] == [f"cpu|{CPU}|openvino|fp16", f"cpu|{CPU}|openvino|fp32",
                                                  "gpu|NVIDIA H200|tensorrt|fp16"]
    assert body["options"] == {"backends": ["cpu", "gpu"], "hardware": [CPU, "NVIDIA H200"],
                               "precisions": ["fp16", "fp32"], "suites": []}
    assert "latest run" in body["plotted"]
    only_gpu = client.get("/charts/data", params={"backend": "gpu"}).json()["charts"]
    assert [c["hardware"] for c in only_gpu] == ["NVIDIA H200"]
    assert client.get("/charts/data", params={"precision": "fp32"}).json()["charts"][0]["precision"] == "fp32"
    assert client.get("/charts/data", params={"backend": "tpu"}).status_code == 422


def test_points_frontier_and_insights(client: TestClient) -> None:
    seed_study()
    chart = client.get("/charts/data", params={"backend": "cpu", "precision": "fp16"}).json()["charts"][0]
    points = {p["label"]: p for p in chart["points"]}
    assert set(points) == {"resnet50", "levit_256", "convnext_small", "mobilenetv3_large_100", "tresnet_l", "test_vit"}
    resnet = points["resnet50"]
    assert (resnet["throughput"], resnet["runs"], resnet["top1"], resnet["family"]) == (130.0, 2, 80.382, "CNN")
    assert resnet["runs_url"].startswith("/results?config=")
    runs = client.get(resnet["runs_url"]).json()
    assert [r["throughput"] for r in runs["items"]] == [130.0, 120.0]
    assert points["test_vit"]["top1"] is None and not points["test_vit"]["frontier"]
    by_id = {p["result_id"]: p["label"] for p in chart["points"]}
    assert [by_id[i] for i in chart["frontier"]] == ["convnext_small", "levit_256", "mobilenetv3_large_100"]
    assert not points["resnet50"]["frontier"] and not points["tresnet_l"]["frontier"]
    text = " ".join(chart["insights"])
    assert "tresnet_l is dominated: levit_256 is 4.7× faster" in text
    assert "convnext_small is 3.2× slower than resnet50 for +4.8% top-1" in text


def test_a_correction_moves_the_point_and_the_frontier(client: TestClient) -> None:
    seed_study()
    client.put("/models/tresnet_l", json={"top1": 83.0, "source": "test"})
    chart = client.get("/charts/data", params={"backend": "cpu", "precision": "fp16"}).json()["charts"][0]
    tresnet = next(p for p in chart["points"] if p["label"] == "tresnet_l")
    assert tresnet["top1"] == 83.0 and tresnet["frontier"]


def test_a_custom_variant_is_drawn_under_its_label(client: TestClient) -> None:
    with session_scope() as session:  # as POST /models stores it (its parameter count is tested end to end)
        session.add(CatalogEntry(name="levit_768_star", kind="variant", base="levit_384", kwargs={"embed_dim": [768]},
                                 label="LeViT-768*", top1=84.0, source="test", params_m=50.0))
        session.commit()
    seed(make_result(1, model="levit_768_star", pretrained_tag=None, throughput=40.0))
    chart = client.get("/charts/data", params={"backend": "cpu"}).json()["charts"][0]
    assert [(p["label"], p["model"], p["top1"], p["family"]) for p in chart["points"]] == [
        ("LeViT-768*", "levit_768_star", 84.0, "hybrid")]


def test_two_rows_marked_latest_for_one_configuration_still_give_one_point(client: TestClient) -> None:
    seed_study()
    with session_scope() as session:  # as if two workers finished the same configuration at the same moment
        session.execute(update(Result).where(col(Result.model) == "resnet50").values(latest=True))
        session.commit()
    chart = client.get("/charts/data", params={"backend": "cpu", "precision": "fp16"}).json()["charts"][0]
    assert [p["throughput"] for p in chart["points"] if p["label"] == "resnet50"] == [130.0]


def test_no_results_gives_no_charts(client: TestClient) -> None:
    body = client.get("/charts/data").json()
    assert body["charts"] == [] and body["options"]["backends"] == []


def test_the_page_and_plotly_are_served_locally(client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/charts"
    page = client.get("/charts")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "/static/plotly.min.js" in page.text and "https://" not in page.text
    plotly = client.get("/static/plotly.min.js")
    assert plotly.status_code == 200 and len(plotly.content) > 1_000_000 and b"plotly" in plotly.content[:2000].lower()


def test_the_api_docs_are_served_locally(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "https://" not in page.text and "/openapi.json" in page.text
    scripts = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert any(url.endswith(".js") for url in scripts) and any(url.endswith(".css") for url in scripts)
    for url in scripts:
        assert url.startswith("/"), url
        assert client.get(url).status_code == 200, url
    assert client.get("/redoc").status_code == 404  # ReDoc only exists on a CDN: no page that stays blank


def test_cached_chart_data_follows_every_change(client: TestClient) -> None:
    seed_study()

    def resnet50() -> dict[str, object]:
        chart = client.get("/charts/data", params={"backend": "cpu", "precision": "fp16"}).json()["charts"][0]
        return next(p for p in chart["points"] if p["label"] == "resnet50")

    assert resnet50()["throughput"] == 130.0 and resnet50()["runs"] == 2  # the second answer is the cached one
    seed(make_result(10, throughput=140.0))  # a new result
    assert (resnet50()["throughput"], resnet50()["runs"]) == (140.0, 3)
    client.put("/models/resnet50", json={"top1": 79.0, "source": "test"})  # a correction
    assert resnet50()["top1"] == 79.0
    client.put("/models/resnet50", json={"top1": 78.0, "source": "test"})  # a second correction of the same entry
    assert resnet50()["top1"] == 78.0
    suite = client.post("/suites", json={"backend": "cpu"}).json()  # a new suite is a new filter option
    assert suite["id"] in [s["id"] for s in client.get("/charts/data").json()["options"]["suites"]]


def test_an_auto_run_and_an_explicit_run_of_the_precision_it_computed_are_one_point(client: TestClient) -> None:
    seed(make_result(1, precision="bf16", precision_used="bf16", throughput=500.0),
         make_result(2, precision="auto", precision_used="bf16", throughput=510.0),
         make_result(3, precision="auto", precision_used="fp32", throughput=280.0))
    body = client.get("/charts/data").json()
    assert [c["key"] for c in body["charts"]] == [f"cpu|{CPU}|openvino|bf16", f"cpu|{CPU}|openvino|fp32"]
    assert body["options"]["precisions"] == ["bf16", "fp32"]  # the precisions that ran, never "auto"
    bf16 = body["charts"][0]["points"]
    assert len(bf16) == 1 and (bf16[0]["throughput"], bf16[0]["runs"], bf16[0]["precision"]) == (510.0, 2, "auto")
    only_bf16 = client.get("/charts/data", params={"precision": "bf16"}).json()["charts"]
    assert [c["precision"] for c in only_bf16] == ["bf16"]
    assert client.get("/charts/data", params={"precision": "auto"}).status_code == 422


def test_torch_runs_with_and_without_cuda_graphs_are_two_points(client: TestClient) -> None:
    torch_run = dict(backend="gpu", engine="torch", hardware="NVIDIA H200", batch_size=256, streams=1)
    seed(make_result(1, **torch_run, throughput=3000.0), make_result(2, **torch_run, cuda_graphs=True, throughput=3300.0))
    chart = client.get("/charts/data", params={"backend": "gpu"}).json()["charts"][0]
    points = sorted(chart["points"], key=lambda p: p["throughput"])
    assert [(p["cuda_graphs"], p["runs"], p["method_version"]) for p in points] == [(False, 1, 2), (True, 1, 2)]
    assert points[1]["label"].endswith(", CUDA graphs)") and not points[0]["label"].endswith("CUDA graphs)")


def test_the_vocabulary_is_served_from_its_one_definition(client: TestClient) -> None:
    from shared.jobs.vocabulary import FAMILIES, PRECISIONS, RANGES

    body = client.get("/vocabulary").json()
    assert body["families"] == list(FAMILIES) and body["precisions"] == list(PRECISIONS)
    assert {e["name"]: (e["backend"], e["default"]) for e in body["engines"]} == {
        "openvino": ("cpu", True), "tensorrt": ("gpu", True), "torch": ("gpu", False)}
    assert body["ranges"]["batch_size"] == {"min": RANGES["batch_size"][0], "max": RANGES["batch_size"][1]}


def test_a_model_at_several_configurations_gets_a_throughput_latency_curve(client: TestClient) -> None:
    def config(n: int, batch: int, streams: int, throughput: float, p99: float, model: str = "resnet50") -> dict[str, object]:
        return make_result(n, model=model, pretrained_tag="a1_in1k", batch_size=batch, streams=streams,
                           throughput=throughput, latency_ms={"mean": p99 / 2, "p50": p99 / 2, "p99": p99})
    seed(config(1, 1, 1, 10.0, 1.0), config(2, 2, 1, 60.0, 2.0), config(3, 4, 2, 90.0, 4.0),
         config(4, 8, 2, 95.0, 8.0), config(5, 16, 2, 97.0, 16.0), config(6, 8, 1, 50.0, 20.0),
         config(7, 1, 2, 200.0, 3.0, model="resnet18"))
    [chart] = client.get("/charts/data").json()["charts"]
    [curve] = chart["curves"]  # resnet18 has one configuration: no curve
    ids = {(p["batch_size"], p["streams"]): p["result_id"] for p in curve["points"]}
    assert curve["label"] == "resnet50" and [p["latency_p99_ms"] for p in curve["points"]] == [1, 2, 4, 8, 16, 20]
    assert {k for k, v in ids.items() if not next(p for p in curve["points"] if p["result_id"] == v)["front"]} == {(8, 1)}
    assert (curve["best_throughput"], curve["best_latency"], curve["knee"]) == (ids[(16, 2)], ids[(1, 1)], ids[(4, 2)])
    assert curve["insight"] == chart["insights"][-1] and "batch 4 × 2 streams gives 93 % of the peak throughput at 25 %" \
        in curve["insight"]
    # The speed-accuracy insights compare models, each at its fastest configuration, not a model with itself.
    about_models = " ".join(chart["insights"][:-1])
    assert "bs 16" in about_models and "bs 8," not in about_models and "bs 1," not in about_models
    assert all(p["latency_ms"]["p99"] == p["latency_p99_ms"] for p in chart["points"])


def test_int8_points_are_drawn_at_the_published_accuracy_marked_unverified(client: TestClient) -> None:
    seed(*precision_results())
    charts = {c["precision"]: c for c in client.get("/charts/data").json()["charts"]}
    assert set(charts) == {"bf16", "fp32", "int8"} and charts["int8"]["lines"] == []  # one chart per precision by default
    int8 = {p["label"]: p for p in charts["int8"]["points"]}
    assert (int8["resnet50"]["top1"], int8["resnet50"]["accuracy_unverified"]) == (80.382, "random calibration")
    assert int8["resnet50"]["calibration"] == "random"
    assert charts["int8"]["insights"][0].startswith(
        "2 points quantized to INT8 with random calibration: drawn at their model's published top-1")
    assert all(p["accuracy_unverified"] is None for p in charts["bf16"]["points"])
    assert not any("unverified" in sentence for sentence in charts["bf16"]["insights"])


def test_overlay_puts_a_models_precisions_on_one_chart_joined_with_what_each_buys(client: TestClient) -> None:
    seed(*precision_results())
    (chart,) = client.get("/charts/data", params={"overlay": "precision"}).json()["charts"]
    assert (chart["key"], chart["precision"], chart["precisions"]) == (f"cpu|{CPU}|openvino|all", "all",
                                                                      ["bf16", "fp32", "int8"])
    assert chart["default_precision"] == "bf16"
    ids = {p["result_id"]: p["label"] for p in chart["points"]}
    assert sorted(ids.values()) == ["levit_256 BF16", "levit_256 INT8", "mobilenetv3_large_100 BF16", "resnet50 BF16",
                                    "resnet50 FP32", "resnet50 INT8"]
    lines = {line["label"]: line for line in chart["lines"]}
    assert set(lines) == {"resnet50", "levit_256"}  # mobilenet ran at one precision: no line
    assert [ids[i] for i in lines["resnet50"]["points"]] == ["resnet50 FP32", "resnet50 BF16", "resnet50 INT8"]
    assert lines["resnet50"]["speedups"] == {"fp32": 0.5, "int8": 4.9} and lines["levit_256"]["speedups"] == {"int8": 2.1}
    assert chart["insights"][:2] == ["INT8: 4.9× resnet50, 2.1× levit_256 over the default (bf16).",
                                     "FP32: 0.50× resnet50 over the default (bf16)."]
    # Each precision of a model is compared, its float points too; the INT8 one named unverified wherever it appears.
    text = " ".join(chart["insights"])
    assert "resnet50 BF16 is dominated: resnet50 INT8 (top-1 unverified) is 4.9× faster" in text
    assert client.get("/charts/data", params={"overlay": "batch"}).status_code == 422
