"""A sweep through the real stack to the chart page: POST /sweeps, a real CPU worker measuring every point with
OpenVINO, then the throughput-latency curves and the budget panel in Chromium over what it measured.

Needs Chromium, as tests/e2e/test_chart_page.py does.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from tests.conftest import Stack
from tests.e2e.processes import ApiProcess, WorkerProcess, wait_until
from tests.e2e.test_chart_page import (
    SCREENSHOTS,
    assert_budget_drawn,
    budget_state,
    chromium_page,
    curves_state,
    frontier_within,
    outside,
    recommended,
    set_budget,
)

pytestmark = pytest.mark.e2e
MODELS = ["test_resnet", "test_vit"]  # timm's tiny test models: seconds per point, each with a published top-1


def test_a_sweep_measured_by_a_real_worker_draws_curves_and_answers_a_budget(
    live_api: ApiProcess, embedded_stack: Stack, start_worker: Callable[[Stack], WorkerProcess]
) -> None:
    started = time.monotonic()
    api = httpx.Client(base_url=live_api.url, timeout=30)
    worker = start_worker(embedded_stack)
    # No streams given: the sweep takes 1, half and all of the physical cores the worker announced.
    cores = max(w["physical_cores"] for w in api.get("/workers").json()["items"] if w["backend"] == "cpu")
    streams = sorted({1, max(1, cores // 2), cores})
    batch_sizes = [1] if len(streams) > 1 else [1, 2]  # two configurations a model at least: a curve (and few conversions)
    response = api.post("/sweeps", json={"models": MODELS, "backend": "cpu", "batch_sizes": batch_sizes, "duration_s": 1})
    assert response.status_code == 202, response.text
    sweep = response.json()
    assert sweep["streams"] == streams and sweep["streams_from"] == worker.name
    assert sweep["total"] == len(MODELS) * len(batch_sizes) * len(streams) and sweep["skipped"] == []

    progress_url = f"/sweeps/{sweep['id']}"

    def finished() -> dict | None:
        progress = api.get(progress_url).json()
        return progress if progress["done"] else None

    try:
        done = wait_until(finished, 240, f"sweep {sweep['id']} to finish", every=1)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{api.get(progress_url).json()}\n{worker.tail()}") from None
    assert done["counts"] == {"succeeded": done["total"]}, done["jobs"]
    assert sorted((j["model"], j["batch_size"], j["streams"]) for j in done["jobs"]) == \
        sorted((m, b, s) for m in MODELS for b in batch_sizes for s in streams)
    measured_s = time.monotonic() - started

    charts = api.get("/charts/data", params={"suite": sweep["id"]}).json()["charts"]
    assert len(charts) == 1, [chart["key"] for chart in charts]  # one CPU, one engine, one precision that ran
    chart = charts[0]
    assert len(chart["points"]) == done["total"] and all(p["top1"] is not None for p in chart["points"])
    assert {curve["label"] for curve in chart["curves"]} == set(MODELS)
    p99s = sorted(p["latency_ms"]["p99"] for p in chart["points"])
    assert p99s[0] < p99s[-1]
    # Between the fastest and the slowest p99, to three figures and without an exponent, as charts.js writes it back.
    limit = f"{float(f'{(p99s[0] + p99s[-1]) / 2:.3g}'):g}"
    grey = {p["result_id"] for p in chart["points"] if outside(p, max_ms=float(limit))}
    assert grey and len(grey) < len(chart["points"])

    with chromium_page() as (_, page):
        page.goto(f"{live_api.url}/charts?suite={sweep['id']}")
        page.wait_for_selector("body[data-rendered=true]", timeout=15_000)
        [shown] = curves_state(page)
        assert (shown["curves"], shown["configurations"]) == (len(MODELS), done["total"])
        lines = {t["name"]: t for t in shown["traces"] if t["mode"] == "lines+markers+text"}
        assert set(lines) == set(MODELS)
        for label, line in lines.items():
            assert sorted(line["text"]) == sorted(f"b{b}×{s}" for b in batch_sizes for s in streams), label
        assert shown["insights"] == [curve["insight"] for curve in chart["curves"]]

        set_budget(page, f"max_latency_ms={limit}", latency_ms=limit)
        found = recommended(live_api.url, chart, max_latency_ms=limit, suite=sweep["id"])
        assert found["items"], found["answer"]  # the fastest p99 fits, and both models have a top-1
        [drawn] = budget_state(page)
        assert_budget_drawn(drawn, chart, grey, frontier_within(chart, max_ms=float(limit)), found)
        assert found["items"][0]["model"] in found["answer"] and found["items"][0]["model"] in MODELS
        page.screenshot(path=SCREENSHOTS / "sweep-budget.png", full_page=True)
    print(f"sweep of {done['total']} points measured in {measured_s:.0f} s; whole test {time.monotonic() - started:.0f} s")
