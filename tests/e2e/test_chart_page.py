"""The chart page in a real Chromium against the real API over HTTP: points, frontier, insights, table, live jobs.

Needs Chromium (`make test` installs it with `apt-get install chromium`); the test fails, never skips, without it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import Page, Request, Route, sync_playwright

from shared.db.engine import migrate, session_scope
from shared.db.tables import Job
from tests.conftest import REPO, Stack
from tests.e2e.processes import ApiProcess
from tests.factories import make_result, seed

pytestmark = pytest.mark.e2e
SCREENSHOTS = REPO / "test-output"
CPU_HARDWARE = "Intel Xeon Processor, 2 cores"
# One CPU chart, measured numbers chosen so that the frontier and the dominated models are known in advance.
CPU_MODELS = [  # model, tag, images/s
    ("mobilenetv3_large_100", "ra_in1k", 900.0),
    ("efficientnet_b0", "ra_in1k", 600.0),
    ("levit_256", "fb_dist_in1k", 450.0),
    ("deit_small_patch16_224", "fb_in1k", 250.0),
    ("resnet50", "a1_in1k", 220.0),
    ("tresnet_l", "miil_in1k", 120.0),
    ("convnext_small", "in12k_ft_in1k", 110.0),
    ("swin_small_patch4_window7_224", "ms_in22k_ft_in1k", 90.0),
]
FRONTIER = ["convnext_small", "levit_256", "efficientnet_b0", "mobilenetv3_large_100"]  # by increasing throughput
GPU_MODELS = [("resnet50", "a1_in1k", 2900.0), ("convnext_small", "in12k_ft_in1k", 1400.0)]


# Three of them measured three times each (symmetric runs: their means are the speeds above), with a share of the peak.
REPEATED = {"mobilenetv3_large_100": [880.0, 900.0, 920.0], "levit_256": [440.0, 450.0, 460.0],
            "efficientnet_b0": [590.0, 600.0, 610.0],
            "deit_small_patch16_224": [200.0, 300.0]}  # two runs far apart: the interval's low end is below zero


def store_results() -> None:
    results = [make_result(n, model=model, pretrained_tag=tag, throughput=speed, runs=REPEATED.get(model),
                           achieved_gflops=speed * 0.6, peak_share=min(1.0, speed / 1000))
               for n, (model, tag, speed) in enumerate(CPU_MODELS)]
    results.append(make_result(20, model="resnet50", pretrained_tag="a1_in1k", throughput=230.0))  # resnet50's second run
    results.append(make_result(21, model="test_vit", pretrained_tag=None, throughput=3000.0, input_size=160))
    results += [make_result(30 + n, model=model, pretrained_tag=tag, throughput=speed, backend="gpu", engine="tensorrt",
                            hardware="NVIDIA H200", batch_size=256, streams=1, method_version=1)  # before the gate
                for n, (model, tag, speed) in enumerate(GPU_MODELS)]
    seed(*results)


def chromium_path() -> str:
    path = os.environ.get("SPEEDBOARD_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("Chromium is not installed, so the chart page cannot be tested; `make test` installs it "
                    "(apt-get install chromium), or install it yourself and run again")
    return path


@pytest.fixture
def server(embedded_stack: Stack, tmp_path: Path) -> Iterator[str]:
    """The API under uvicorn, as users run it, over real HTTP on a free port, with the results stored first."""
    migrate()
    store_results()
    api = ApiProcess(embedded_stack, tmp_path)
    try:
        yield api.wait_ready().url
    finally:
        api.stop()


def add_running_job() -> str:
    now = datetime.now(UTC)
    job = Job(model="efficientnet_b0", pretrained_tag="ra_in1k", backend="cpu", engine="openvino", queue="cpu",
              status="running", stage="measuring", progress=0.4, attempts=1, worker="cpu-test@localhost",
              detail="measuring throughput, window 2 of 5", started_at=now, heartbeat_at=now + timedelta(minutes=5))
    with session_scope() as session:
        session.add(job)
        session.commit()
        return job.id


def finish_job(job_id: str) -> None:
    """What a worker does at the end: store the result and mark the job succeeded."""
    with session_scope() as session:
        job = session.get(Job, job_id)
        assert job is not None
        job.status, job.progress, job.finished_at = "succeeded", 1.0, datetime.now(UTC)
        session.add(job)
        session.commit()
    seed(make_result(40, job_id=job_id, model="efficientnet_b0", pretrained_tag="ra_in1k", throughput=610.0, batch_size=8))


def page_state(page: Page) -> list[dict[str, object]]:
    """Per chart section: its title, the drawn markers per subplot, the traces and the frontier's SVG line."""
    return page.evaluate("""() => [...document.querySelectorAll('section.chart')].map(section => {
        const plot = section.querySelector('.js-plotly-plot');
        const frontier = plot._fullData.find(t => t.name === 'Pareto frontier');
        const line = plot.querySelector(`.scatterlayer .trace.trace${frontier.uid} path.js-line`);
        return {
            title: section.querySelector('h2').textContent,
            main: plot.querySelectorAll('.subplot.xy .scatterlayer .point').length,
            strip: plot.querySelectorAll('.subplot.xy2 .scatterlayer .point').length,
            traces: plot._fullData.filter(t => t.mode.includes('markers'))
                .map(t => ({name: t.name, color: t.marker.color, symbol: t.marker.symbol})),
            frontier: {mode: frontier.mode, x: [...frontier.x], path: line ? line.getAttribute('d') : ''},
            insights: [...section.querySelectorAll('.insights li')].map(li => li.textContent),
            width: plot.getBoundingClientRect().width, height: plot.getBoundingClientRect().height,
        };
    })""")


def column(page: Page, index: int) -> list[str]:
    return page.eval_on_selector_all(f"#results-table tbody tr td:nth-child({index})", "cells => cells.map(c => c.textContent)")


def test_chart_page_draws_every_point_frontier_insights_table_and_live_jobs(server: str) -> None:
    data = httpx.get(f"{server}/charts/data").json()
    cpu, gpu = sorted(data["charts"], key=lambda chart: chart["backend"])
    unknown = [p for p in cpu["points"] if p["top1"] is None]
    assert [p["model"] for p in unknown] == ["test_vit"]  # no published accuracy: drawn on the strip, not hidden
    by_id = {p["result_id"]: p for p in cpu["points"]}
    assert [by_id[i]["label"] for i in cpu["frontier"]] == FRONTIER
    assert next(p for p in cpu["points"] if p["model"] == "resnet50")["runs"] == 2
    SCREENSHOTS.mkdir(exist_ok=True)

    outside: list[str] = []
    errors: list[str] = []

    def local_only(route: Route, request: Request) -> None:
        if urlparse(request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(),
                                             args=["--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"])
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        context.route("**/*", local_only)
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        job_id = add_running_job()
        page.goto(f"{server}/charts")
        page.wait_for_selector("body[data-rendered=true]", timeout=10_000)
        assert page.evaluate("typeof window.speedboardRendered") == "number"
        page.screenshot(path=SCREENSHOTS / "charts.png")
        page.screenshot(path=SCREENSHOTS / "charts-full.png", full_page=True)

        drawn = page_state(page)
        assert [chart["title"] for chart in drawn] == [f"cpu · {CPU_HARDWARE} · openvino · fp16",
                                                       "gpu · NVIDIA H200 · tensorrt · fp16"]
        for chart, shown in zip((cpu, gpu), drawn, strict=True):
            known = [p for p in chart["points"] if p["top1"] is not None]
            assert shown["main"] == len(known) and shown["strip"] == len(chart["points"]) - len(known)
            assert shown["frontier"]["mode"] == "lines" and shown["frontier"]["path"].startswith("M")
            speeds = {p["result_id"]: p["throughput"] for p in chart["points"]}
            assert shown["frontier"]["x"] == [speeds[i] for i in chart["frontier"]]
            assert shown["insights"] == chart["insights"]
            assert shown["width"] >= 900 and shown["height"] >= 520
        families = [t for t in drawn[0]["traces"] if t["name"] != "accuracy unknown"]
        assert {t["name"] for t in families} == {"CNN", "transformer", "mobile", "hybrid"}
        assert len({t["color"] for t in families}) == len({t["symbol"] for t in families}) == len(families)
        # From the numbers above: 110/90 images/s and 85.16 - 83.33 top-1; 450/120 images/s and 81.506 - 81.498 top-1.
        insights = drawn[0]["insights"]
        assert "swin_small_patch4_window7_224 is dominated: convnext_small is 1.2× faster with +1.8% top-1." in insights
        assert "tresnet_l is dominated: levit_256 is 3.8× faster with +0.01% top-1." in insights
        assert "Each point is the latest run of each configuration" in page.text_content("#plotted")

        # The table: a row per point of every chart, sortable numerically, filterable.
        points = cpu["points"] + gpu["points"]
        assert len(column(page, 1)) == len(points)
        page.click("#results-table th[data-key=throughput]")
        speeds = [float(s.replace(",", "")) for s in column(page, 4)]
        assert speeds == sorted(p["throughput"] for p in points)  # numbers, not strings: 90 before 110
        page.click("#results-table th[data-key=throughput]")
        assert [float(s.replace(",", "")) for s in column(page, 4)] == sorted(speeds, reverse=True)
        page.fill("#table-filter", "mobile")
        assert sorted(column(page, 1)) == ["efficientnet_b0", "mobilenetv3_large_100"]
        page.fill("#table-filter", "")
        headers = page.eval_on_selector_all("#results-table th", "cells => cells.map(c => c.dataset.key)")
        hardware_at, runs_at = headers.index("hardware"), headers.index("runs")
        runs = page.eval_on_selector_all("#results-table tbody tr", f"""rows => rows.map(row => [
            row.cells[0].textContent, row.cells[{hardware_at}].textContent, row.cells[{runs_at}].textContent,
            row.querySelector('a').href])""")
        assert [r[2] for r in runs if r[:2] == ["resnet50", CPU_HARDWARE]] == ["2"]
        assert all("/results?config=" in r[3] for r in runs)
        assert "format=csv" in (page.get_attribute("#csv", "href") or "")

        # Uncertainty, memory and the share of the peak: error bars where repeats give an interval, none where
        # one run leaves it unknown; the figures in the table and in the hover.
        bars = page.evaluate("""() => {
            const plot = document.querySelector('section.chart .js-plotly-plot');
            const traces = plot._fullData.filter(t => t.mode.includes('markers'));
            return {drawn: plot.querySelectorAll('.subplot.xy .errorbar path.xerror').length,
                    visible: traces.every(t => t.error_x.visible && t.error_x.type === 'data'),
                    widths: Object.fromEntries(traces.flatMap(t => t.text.map((label, i) =>
                        [label, (t.error_x.array[i] ?? NaN) + (t.error_x.arrayminus[i] ?? NaN)])))};
        }""")
        with_interval = [p for p in cpu["points"] if p["throughput_ci95"] and p["top1"] is not None]
        assert len(with_interval) == len(REPEATED) and bars["visible"]
        assert bars["drawn"] == len(with_interval)  # one bar per point with an interval, none for one-run points
        for p in with_interval:
            low, high = p["throughput_ci95"]
            drawn_low = max(low, p["throughput"] / 10)  # a log axis has no zero: a bound below it is drawn at a tenth
            assert bars["widths"][p["label"]] == pytest.approx(high - drawn_low)
        cell = {key: headers.index(key) for key in ("label", "throughput_ci95", "repeats", "peak_share", "peak_rss_mb")}
        rows = page.eval_on_selector_all("#results-table tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
        levit = next(r for r in rows if r[cell["label"]] == "levit_256")
        low, high = next(p for p in cpu["points"] if p["model"] == "levit_256")["throughput_ci95"]
        assert levit[cell["throughput_ci95"]] == f"{low:,.1f}–{high:,.1f}" and levit[cell["repeats"]] == "3"
        assert levit[cell["peak_share"]] == "45.0" and levit[cell["peak_rss_mb"]] == "180"
        assert next(r for r in rows if r[cell["label"]] == "tresnet_l")[cell["throughput_ci95"]] == "one run"
        deit = next(p for p in cpu["points"] if p["model"] == "deit_small_patch16_224")
        assert deit["throughput_ci95"][0] < 0  # bounded above only, and said so
        assert next(r for r in rows if r[cell["label"]] == "deit_small_patch16_224")[cell["throughput_ci95"]] == \
            f"≤ {deit['throughput_ci95'][1]:,.1f}"
        hover = page.evaluate("""() => {
            const plot = document.querySelector('section.chart .js-plotly-plot');
            return plot._fullData.flatMap(t => t.customdata ? t.customdata.map(c => c[0]) : []);
        }""")
        levit_hover = next(h for h in hover if h.startswith("<b>levit_256</b>"))
        assert f"95% interval {low:,.1f}–{high:,.1f} over 3 runs" in levit_hover
        assert "peak RSS 180 MB" in levit_hover and "model on disk 12.5 MB" in levit_hover
        assert "<b>45.0%</b> of this machine's measured fp16 peak" in levit_hover and "stable after 5.0 s" in levit_hover
        assert "on the frontier in 100% of resamples" in levit_hover
        assert "one run: interval unknown" in next(h for h in hover if h.startswith("<b>tresnet_l</b>"))
        gpu_hover = page.evaluate("""() => document.querySelectorAll('section.chart .js-plotly-plot')[1]._fullData
            .flatMap(t => t.customdata ? t.customdata.map(c => c[0]) : [])""")
        assert all("measured before the stability gate (method v1)" in h and "<br><br>" not in h for h in gpu_hover)
        # Points sized by their share of the peak, on request (a view option kept in the address).
        page.select_option("#filters select[name=size]", "peak_share")
        page.wait_for_selector("body[data-rendered=true]")
        assert "size=peak_share" in page.url
        sizes = page.evaluate("""() => Object.fromEntries(document.querySelector('section.chart .js-plotly-plot')._fullData
            .filter(t => t.mode.includes('markers')).flatMap(t => t.text.map((label, i) => [label, t.marker.size[i]])))""")
        assert sizes["mobilenetv3_large_100"] > sizes["levit_256"] > sizes["swin_small_patch4_window7_224"]
        page.screenshot(path=SCREENSHOTS / "charts-peak-share.png")
        page.select_option("#filters select[name=size]", "")
        page.wait_for_selector("body[data-rendered=true]")

        # Clicking a point opens every run of its configuration in a new tab.
        point = page.locator("section.chart").first.locator(".subplot.xy .scatterlayer .point").first
        point.scroll_into_view_if_needed()
        box = point.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_selector(".hoverlayer .hovertext")  # Plotly clicks the point under the hover label
        with context.expect_page(timeout=5_000) as opened:
            page.mouse.down()
            page.mouse.up()
        assert "/results?config=" in opened.value.url
        opened.value.close()

        # A running job shows with its progress; when it finishes, its result appears without a reload.
        assert "efficientnet_b0" in page.text_content("#job-list") and "measuring" in page.text_content("#job-list")
        finish_job(job_id)
        page.wait_for_function(f"() => document.querySelectorAll('#results-table tbody tr').length === {len(points) + 1}",
                               timeout=8_000)
        page.wait_for_selector("body[data-rendered=true]")
        assert page.is_visible("#jobs-idle")

        # The filters live in the URL (so /charts?suite=ID can be linked) and narrow the charts, table and CSV alike.
        page.select_option("#filters select[name=backend]", "gpu")
        page.wait_for_selector("body[data-rendered=true]")
        assert page.url.endswith("/charts?backend=gpu") and page.locator("section.chart").count() == 1
        assert len(column(page, 1)) == len(gpu["points"])
        assert "backend=gpu" in (page.get_attribute("#csv", "href") or "")
        page.go_back()
        page.wait_for_function("() => document.querySelectorAll('section.chart').length === 2")
        page.goto(f"{server}/charts?backend=cpu&precision=fp16")
        page.wait_for_selector("body[data-rendered=true]")
        assert page.input_value("#filters select[name=backend]") == "cpu" and page.locator("section.chart").count() == 1

        page.goto(f"{server}/docs")  # the API docs work offline too: Swagger UI lists the operations
        page.wait_for_selector(".opblock-summary-path", timeout=10_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert "/jobs" in paths and "/charts/data" in paths, paths
        browser.close()

    assert outside == [], f"the page reached beyond 127.0.0.1: {outside}"
    assert errors == [], f"console errors: {errors}"
