"""GET /results: filters, paging, newest first, JSON and CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from fastapi.testclient import TestClient

from tests.conftest import Stack
from tests.factories import T0, make_result, seed


def test_filters_paging_and_order(client: TestClient, stack: Stack) -> None:
    seed(
        make_result(1),
        make_result(2, pretrained_tag="tv_in1k"),
        make_result(3, model="levit_256", pretrained_tag="fb_dist_in1k"),
        make_result(4, backend="gpu", engine="tensorrt", hardware="NVIDIA H200", batch_size=256),
        make_result(5, precision="fp32", precision_used="fp32"),
    )

    def jobs(**params: object) -> list[str]:
        body = client.get("/results", params=params).json()
        assert body["total"] == len(body["items"]) or "limit" in params
        return [item["job_id"] for item in body["items"]]

    assert jobs() == ["job-5", "job-4", "job-3", "job-2", "job-1"]
    assert jobs(backend="cpu") == ["job-5", "job-3", "job-2", "job-1"]
    assert jobs(backend="gpu", engine="tensorrt") == ["job-4"]
    assert jobs(model="resnet50") == ["job-5", "job-4", "job-2", "job-1"]  # every tag of the architecture
    assert jobs(model="resnet50.tv_in1k") == ["job-2"]
    assert jobs(hardware="NVIDIA H200") == ["job-4"]
    assert jobs(hardware="NVIDIA") == []  # hardware matches exactly
    assert jobs(precision="fp32") == ["job-5"]
    assert jobs(precision_used="fp32") == ["job-5"]
    assert jobs(since=(T0 + timedelta(minutes=3)).isoformat()) == ["job-5", "job-4", "job-3"]
    page = client.get("/results", params={"limit": 2, "offset": 1}).json()
    assert page["total"] == 5 and [i["job_id"] for i in page["items"]] == ["job-4", "job-3"]


def test_result_fields_follow_the_contract(client: TestClient, stack: Stack) -> None:
    seed(make_result(1))
    item = client.get("/results", params={"backend": "cpu"}).json()["items"][0]
    for key in ("job_id", "model", "pretrained_tag", "backend", "engine", "throughput", "latency_ms", "stable", "windows",
                "iterations", "duration_s", "batch_size", "streams", "precision", "precision_used", "input_size",
                "params_m", "gflops", "prepare_s", "cache_hit", "hardware", "hardware_detail", "host", "versions",
                "created_at"):
        assert key in item, key
    assert set(item["latency_ms"]) == {"mean", "stdev", "p50", "p90", "p95", "p99"}
    assert item["created_at"].startswith("2026-01-01T00:01:00") and item["created_at"].endswith("Z")


def test_csv_by_format_or_accept_header(client: TestClient, stack: Stack) -> None:
    seed(make_result(1), make_result(2, backend="gpu"))
    by_format = client.get("/results", params={"format": "csv", "backend": "cpu"})
    by_header = client.get("/results", params={"backend": "cpu"}, headers={"accept": "text/csv"})
    for response in (by_format, by_header):
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert len(rows) == 1 and rows[0]["job_id"] == "job-1"
        assert float(rows[0]["latency_ms_p99"]) == 14.0 and rows[0]["windows"] == "99;101"
    assert client.get("/results").headers["content-type"].startswith("application/json")


def test_an_int8_result_says_its_published_accuracy_is_unverified_in_json_and_csv(client: TestClient) -> None:
    seed(make_result(1), make_result(2, precision="int8", precision_used="int8", calibration="random"))
    items = {r["precision_used"]: r for r in client.get("/results").json()["items"]}
    assert (items["int8"]["top1"], items["int8"]["calibration"], items["int8"]["accuracy_unverified"]) == \
        (80.382, "random", "random calibration")
    assert (items["fp16"]["calibration"], items["fp16"]["accuracy_unverified"]) == (None, None)
    rows = {r["precision_used"]: r for r in csv.DictReader(io.StringIO(client.get("/results?format=csv").text))}
    assert (rows["int8"]["accuracy_unverified"], rows["fp16"]["accuracy_unverified"]) == ("random calibration", "")


def test_bad_filters_are_422(client: TestClient) -> None:
    assert client.get("/results", params={"backend": "tpu"}).status_code == 422
    assert client.get("/results", params={"since": "yesterday"}).status_code == 422
    assert client.get("/results", params={"limit": 10001}).status_code == 422


def test_values_postgresql_cannot_hold_are_422_on_both_databases(client: TestClient) -> None:
    # SQLite stores a NUL character, PostgreSQL refuses it: either way the answer says what to do, never a 500.
    for path, params in (("/results", {"hardware": "a\x00b"}), ("/results", {"model": "resnet50\x00"}),
                         ("/charts/data", {"suite": "\x00"}), ("/jobs/%00", {}), ("/suites/%00", {})):
        answer = client.get(path, params=params)
        assert answer.status_code in (200, 404, 422), (path, answer.status_code, answer.text)
        if answer.status_code == 422:
            assert "NUL" in answer.json()["message"]
    for path in ("/results", "/jobs", "/suites", "/models"):
        answer = client.get(path, params={"offset": 2**63})
        assert answer.status_code == 422 and "offset" in answer.json()["message"], (path, answer.text)
    job = client.post("/jobs", json={"model": "resnet50", "backend": "cpu", "hardware": "cpu\u0000"})
    assert job.status_code == 422 and "unknown hardware 'cpu\\x00'" in job.json()["message"]  # no worker has it
    fixed = client.put("/models/resnet50", json={"top1": 80.0, "source": "a\u0000b"})
    assert fixed.status_code in (200, 422) and (fixed.status_code == 200 or "NUL" in fixed.json()["message"])


# What a user or a machine can put in a result's text: markup, and cells a spreadsheet would run as formulas.
HOSTILE_TEXT = ('<img src=x onerror="window.__pwned=1">', '<a href="javascript:window.__pwned=2">x</a>',
                '=HYPERLINK("http://evil","x")', "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)",
                "\t=1+1", "\r=1+1")


def test_csv_makes_every_hostile_text_cell_plain_text(client: TestClient, stack: Stack) -> None:
    # Every text column a worker, a job or a correction fills: model, tag, hardware, host, the top-1's source.
    seed(*[make_result(n, model=text, pretrained_tag=text, hardware=text, host=text, hardware_detail={"cpu": text})
           for n, text in enumerate(HOSTILE_TEXT)])
    seed(make_result(20, throughput_ci95=[-5.0, 10.0]))
    assert client.put("/models/resnet50.a1_in1k", json={"top1": 80.0, "source": HOSTILE_TEXT[2]}).status_code == 200
    rows = list(csv.DictReader(io.StringIO(client.get("/results", params={"format": "csv", "limit": 100}).text)))
    by_job = {row["job_id"]: row for row in rows}
    for n, text in enumerate(HOSTILE_TEXT):
        row = by_job[f"job-{n}"]
        # A formula gets a leading apostrophe (a spreadsheet shows the cell as text); markup is kept as it is: a CSV is
        # data, and what draws it (the chart page) escapes it.
        shown = f"'{text}" if text[0] in "=+-@\t\r" else text
        assert [row[key] for key in ("model", "pretrained_tag", "hardware", "host")] == [shown] * 4, (text, row)
        assert row["hardware_detail"].startswith("{")  # JSON: a spreadsheet reads it as text whatever it holds
    fixed = by_job["job-20"]
    assert fixed["top1_source"] == f"'{HOSTILE_TEXT[2]}" and fixed["throughput_ci95_low"] == "-5.0"
    formulas = [cell for row in rows for cell in row.values() if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert set(formulas) == {"-5.0"}  # no text cell left that a spreadsheet would run; a negative number stays a number
