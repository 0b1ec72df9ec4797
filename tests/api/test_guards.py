"""What guards every request and answer: the body cap (413 before parsing), the security headers, and CSV cells a
spreadsheet would run as formulas."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re

from fastapi.testclient import TestClient

from api.guards import MAX_BODY_BYTES
from tests.factories import make_result, seed


def test_a_body_over_one_mebibyte_is_413_before_it_is_parsed(client: TestClient) -> None:
    huge = b'{"model": "resnet50", "backend": "cpu", "pad": "' + b"x" * (2 << 20) + b'"}'
    for sent in (huge, iter([huge[:1000], huge[1000:]])):  # by its Content-Length, and in chunks without one
        response = client.post("/jobs", content=sent, headers={"content-type": "application/json"})
        assert response.status_code == 413, response.text
        assert "over 1024 KiB" in response.json()["message"]
    assert client.get("/jobs").json()["total"] == 0  # nothing was queued
    just_under = b'{"model": "resnet50", "backend": "cpu", "x": "' + b"x" * (MAX_BODY_BYTES - 100) + b'"}'
    assert client.post("/jobs", content=just_under, headers={"content-type": "application/json"}).status_code == 422
    assert client.post("/jobs", json={"model": "resnet50", "backend": "cpu"}).status_code == 202


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/charts", "/charts/data", "/results", "/static/charts.js", "/jobs/nope", "/health"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer", path
        policy = headers["content-security-policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy, path
    assert "<script>" not in client.get("/charts").text  # the page runs no inline script: the policy would stop it


def test_the_api_docs_allow_their_one_inline_script_by_its_hash(client: TestClient) -> None:
    page = client.get("/docs")
    (script,) = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}';" in page.headers["content-security-policy"]


def test_csv_text_cells_that_a_spreadsheet_would_run_are_made_text(client: TestClient) -> None:
    seed(make_result(1, throughput_ci95=[-5.0, 10.0]))
    assert client.put("/models/resnet50.a1_in1k", json={"top1": 80.0, "source": '=HYPERLINK("http://evil","x")'}
                      ).status_code == 200
    (row,) = csv.DictReader(io.StringIO(client.get("/results?format=csv").text))
    assert row["top1_source"] == '\'=HYPERLINK("http://evil","x")'
    assert row["throughput_ci95_low"] == "-5.0"  # a negative number stays a number
