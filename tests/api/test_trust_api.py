"""Numbers a user can trust, through the API: repeats and their runs, intervals on results and chart points, memory
as a filter, the worker's peaks, and jobs refused at submission when their worst case outlasts the time limit."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from shared.db.engine import session_scope
from shared.db.tables import Worker
from shared.jobs.presence import announce
from shared.settings import get_settings
from tests.factories import make_result, seed

CONTRACT = ("throughput_ci95", "throughput_cv", "latency_ci95", "run_ids", "peak_rss_mb", "device_memory_mb", "artifact_mb",
            "achieved_gflops", "peak_share", "stable_after_s", "method_version")


def test_repeats_default_to_one_for_a_job_and_three_for_a_suite(client: TestClient) -> None:
    assert client.post("/jobs", json={"model": "resnet50", "backend": "cpu"}).json()["repeats"] == 1
    assert client.post("/jobs", json={"model": "resnet50", "backend": "cpu", "repeats": 5}).json()["repeats"] == 5
    suite = client.post("/suites", json={"backend": "cpu"}).json()
    assert suite["repeats"] == 3
    jobs = client.get("/jobs", params={"limit": 100}).json()["items"]
    assert {job["repeats"] for job in jobs if job["suite_id"] == suite["id"]} == {3}
    for bad in (0, 11):
        response = client.post("/jobs", json={"model": "resnet50", "backend": "cpu", "repeats": bad})
        assert response.status_code == 422 and "repeats" in response.text


def test_a_job_whose_worst_case_outlasts_the_time_limit_is_refused_saying_what_fits(client: TestClient) -> None:
    # Default limit 30 min; each repeat may take 120 s preparing + 2 s warm-up + 3 × duration_s measuring.
    response = client.post("/jobs", json={"model": "resnet50", "backend": "cpu", "repeats": 10, "duration_s": 60})
    assert response.status_code == 422, response.text
    message = response.json()["message"]
    assert "could take up to 51 min" in message and "job time limit of 30 min" in message
    assert "duration_s at most 19 with 10 repeats" in message and "at most 5 repeats of duration_s 60" in message
    assert client.post("/jobs", json={"model": "resnet50", "backend": "cpu", "repeats": 10, "duration_s": 19}).status_code == 202
    assert client.post("/jobs", json={"model": "resnet50", "backend": "cpu", "repeats": 5, "duration_s": 60}).status_code == 202
    # A suite is refused whole, before anything is queued.
    before = client.get("/jobs").json()["total"]
    suite = client.post("/suites", json={"backend": "cpu", "repeats": 10, "duration_s": 600})
    assert suite.status_code == 422 and "job time limit" in suite.json()["message"]
    assert client.get("/jobs").json()["total"] == before


def test_the_tensorrt_build_counts_once_in_the_worst_case(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPEEDBOARD_JOB_TIME_LIMIT_S", "1000")
    get_settings.cache_clear()
    try:
        # 900 s build + 122 s per repeat + 3 × 1 s: over 1,000 s; the same job on the torch engine fits.
        tensorrt = client.post("/jobs", json={"model": "resnet50", "backend": "gpu", "duration_s": 1})
        assert tensorrt.status_code == 422 and "a TensorRT build" in tensorrt.json()["message"]
        torch = client.post("/jobs", json={"model": "resnet50", "backend": "gpu", "engine": "torch", "duration_s": 1})
        assert torch.status_code == 202
    finally:
        get_settings.cache_clear()


def test_a_result_carries_the_contract_and_its_runs(client: TestClient) -> None:
    seed(make_result(1, runs=[98.0, 100.0, 105.0], achieved_gflops=820.0, peak_share=0.61),
         make_result(2, model="levit_256", pretrained_tag="fb_dist_in1k"))
    items = {item["job_id"]: item for item in client.get("/results").json()["items"]}
    repeated, single = items["job-1"], items["job-2"]
    for key in CONTRACT:
        assert key in repeated and key in single, key
    low, high = repeated["throughput_ci95"]
    assert low < repeated["throughput"] < high and repeated["throughput"] == pytest.approx(101.0)
    assert repeated["repeats"] == 3 and len(repeated["run_ids"]) == 3 and repeated["throughput_cv"] > 0
    assert single["throughput_ci95"] is None and single["throughput_cv"] is None  # one run: unknown, not zero
    runs = client.get(f"/results/{repeated['id']}/runs").json()
    assert [run["id"] for run in runs["items"]] == repeated["run_ids"]
    assert [(run["repeat"], run["throughput"]) for run in runs["items"]] == [(1, 98.0), (2, 100.0), (3, 105.0)]
    assert all(run["result_id"] == repeated["id"] and run["job_id"] == "job-1" for run in runs["items"])
    missing = client.get("/results/999999/runs")
    assert missing.status_code == 404 and "GET /results" in missing.json()["message"]


def test_csv_flattens_intervals_and_lists_the_runs(client: TestClient) -> None:
    seed(make_result(1, runs=[98.0, 100.0, 105.0]))
    rows = list(csv.DictReader(io.StringIO(client.get("/results", params={"format": "csv"}).text)))
    row = rows[0]
    assert float(row["throughput_ci95_low"]) < float(row["throughput"]) < float(row["throughput_ci95_high"])
    assert len(row["run_ids"].split(";")) == 3 and row["peak_rss_mb"] == "180.0" and row["artifact_mb"] == "12.5"
    for key in ("throughput_cv", "peak_share", "achieved_gflops", "stable_after_s", "device_memory_mb",
                "latency_ms_p99_ci95_low", "latency_ms_p99_cv"):
        assert key in row, key


def test_memory_is_a_filter_on_results_and_charts(client: TestClient) -> None:
    seed(make_result(1, peak_rss_mb=150.0),
         make_result(2, model="levit_256", pretrained_tag="fb_dist_in1k", peak_rss_mb=400.0),
         make_result(3, model="tresnet_l", pretrained_tag="miil_in1k", peak_rss_mb=None),  # not measured: left out
         make_result(4, backend="gpu", engine="tensorrt", hardware="NVIDIA H200", batch_size=256, peak_rss_mb=100.0,
                     device_memory_mb=3000.0))  # on a GPU the device's memory counts
    def jobs(**params: object) -> list[str]:
        return sorted(item["job_id"] for item in client.get("/results", params=params).json()["items"])

    assert jobs(max_memory_mb=200) == ["job-1"]
    assert jobs(max_memory_mb=5000) == ["job-1", "job-2", "job-4"]
    charted = client.get("/charts/data", params={"max_memory_mb": 200}).json()["charts"]
    assert [p["job_id"] for chart in charted for p in chart["points"]] == ["job-1"]
    assert client.get("/results", params={"max_memory_mb": -1}).status_code == 422


def test_chart_points_carry_intervals_memory_peak_share_and_frontier_certainty(client: TestClient) -> None:
    seed(make_result(1, runs=[118.0, 120.0, 122.0], peak_share=0.55, achieved_gflops=984.0),  # resnet50: 80.4 %
         make_result(2, model="levit_256", pretrained_tag="fb_dist_in1k", runs=[250.0, 260.0, 270.0]),  # 81.5 %: dominates
         make_result(3, model="mobilenetv3_large_100", pretrained_tag="ra_in1k", runs=[790.0, 800.0, 810.0]),
         make_result(4, model="tresnet_l", pretrained_tag="miil_in1k", throughput=55.0))  # one run
    chart = client.get("/charts/data").json()["charts"][0]
    points = {p["model"]: p for p in chart["points"]}
    for key in CONTRACT:
        assert key in points["resnet50"], key
    assert points["resnet50"]["throughput_ci95"][0] < 120.0 < points["resnet50"]["throughput_ci95"][1]
    assert points["resnet50"]["peak_share"] == 0.55 and points["resnet50"]["repeats"] == 3
    assert len(points["levit_256"]["run_ids"]) == 3
    # levit_256 and mobilenetv3 are on the frontier with clearly separated runs: certain; off the frontier: None.
    assert points["levit_256"]["frontier"] and points["levit_256"]["frontier_certainty"] >= 0.95
    assert points["mobilenetv3_large_100"]["frontier_certainty"] >= 0.95
    assert not points["resnet50"]["frontier"] and points["resnet50"]["frontier_certainty"] is None


def test_workers_announce_their_measured_peaks(client: TestClient) -> None:
    with session_scope() as session:
        announce(session, Worker(name="cpu-1@a", backend="cpu", hardware="CPU", host="h", queues=["cpu"],
                                 peak_gflops={"fp32": 181.5}, peak_method="OpenVINO CPU MatMul f32, 2 streams"))
    worker = client.get("/workers").json()["items"][0]
    assert worker["peak_gflops"] == {"fp32": 181.5} and "MatMul" in worker["peak_method"]
