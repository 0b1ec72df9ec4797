"""The chart page in a real Chromium against the real API over HTTP: points, frontier, insights, table, live jobs,
throughput-latency curves and the budget panel.

Needs Chromium (`make test` installs it with `apt-get install chromium`); the test fails, never skips, without it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Request, Route, sync_playwright

from shared.db.engine import migrate, session_scope
from shared.db.tables import Job
from tests.conftest import REPO, Stack
from tests.e2e.processes import ApiProcess
from tests.factories import make_result, precision_results, seed

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


def serve(stack: Stack, tmp_path: Path, store: Callable[[], None]) -> Iterator[str]:
    """The API under uvicorn, as users run it, over real HTTP on a free port, with the results stored first."""
    migrate()
    store()
    api = ApiProcess(stack, tmp_path)
    try:
        yield api.wait_ready().url
    finally:
        api.stop()


@pytest.fixture
def server(embedded_stack: Stack, tmp_path: Path) -> Iterator[str]:
    yield from serve(embedded_stack, tmp_path, store_results)


@contextmanager
def chromium_page() -> Iterator[tuple[BrowserContext, Page]]:
    """A page in Chromium that may reach 127.0.0.1 only; on leaving, asserts it tried nothing else and logged no error."""
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
        yield context, page
        browser.close()
    assert outside == [], f"the page reached beyond 127.0.0.1: {outside}"
    assert errors == [], f"console errors: {errors}"


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

    with chromium_page() as (context, page):
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


# --- throughput-latency curves and the budget panel ---------------------------------------------------------------

CURVE_HARDWARE = "AMD EPYC 7763, 2 cores"
# Each model's configurations: batch, streams, images/s, p99 ms (p50 is half the p99). resnet50's front is every
# configuration but b4×1 (b8×1 is faster at a lower p99) and its knee is b8×2; efficientnet_b0's knee is b1×2.
CURVES: dict[tuple[str, str | None], list[tuple[int, int, float, float]]] = {
    ("resnet50", "a1_in1k"): [(1, 1, 40.0, 30.0), (1, 2, 70.0, 35.0), (4, 1, 60.0, 110.0), (8, 1, 90.0, 100.0),
                              (8, 2, 150.0, 120.0), (32, 2, 165.0, 420.0)],
    ("efficientnet_b0", "ra_in1k"): [(1, 1, 120.0, 12.0), (1, 2, 200.0, 14.0), (8, 2, 380.0, 60.0)],
    ("mobilenetv3_large_100", "ra_in1k"): [(1, 2, 500.0, 6.0)],
    ("convnext_small", "in12k_ft_in1k"): [(1, 2, 30.0, 55.0)],
    ("test_vit", None): [(1, 2, 3000.0, 1.0)],  # accuracy unknown
}
GPU_CURVE = [(1, 900.0, 1.5), (8, 2400.0, 4.0), (32, 2900.0, 12.0)]  # convnext_small by batch: its knee is batch 8
GREY = "#b8bec8"  # charts.js's colour of a point outside the budget


def latency(p99: float) -> dict[str, float]:
    return {"mean": p99 * 0.6, "stdev": 1.0, "p50": p99 / 2, "p90": p99 * 0.8, "p95": p99 * 0.9, "p99": p99}


def store_curves() -> None:
    configs = [(model, tag, *config) for (model, tag), configs in CURVES.items() for config in configs]
    results = [make_result(n, model=model, pretrained_tag=tag, batch_size=batch, streams=streams, throughput=speed,
                           latency_ms=latency(p99), hardware=CURVE_HARDWARE, input_size=160 if tag is None else 224)
               for n, (model, tag, batch, streams, speed, p99) in enumerate(configs)]
    results += [make_result(50 + n, model="convnext_small", pretrained_tag="in12k_ft_in1k", backend="gpu",
                            engine="tensorrt", hardware="NVIDIA H200", batch_size=batch, streams=1, throughput=speed,
                            latency_ms=latency(p99))
                for n, (batch, speed, p99) in enumerate(GPU_CURVE)]
    seed(*results)


@pytest.fixture
def curve_server(embedded_stack: Stack, tmp_path: Path) -> Iterator[str]:
    yield from serve(embedded_stack, tmp_path, store_curves)


def curves_state(page: Page) -> list[dict[str, object]]:
    """Per chart section: its curves container, the curve plot's traces as charts.js gave them, and the sentences."""
    return page.evaluate("""() => [...document.querySelectorAll('section.chart')].map(section => {
        const box = section.querySelector('.curves');
        const plot = box.querySelector('.curve-plot');
        const traces = (plot.data || []).map(t => ({
            name: t.name, mode: t.mode, x: [...t.x], y: [...t.y],
            ids: t.customdata ? t.customdata.map(c => c[2]) : t.ids.map(Number),
            text: t.text ? [...t.text] : [], symbol: t.marker.symbol, size: t.marker.size, opacity: t.marker.opacity}));
        return {hidden: box.hidden, curves: Number(box.dataset.curves), configurations: Number(box.dataset.configurations),
                traces, drawn: plot.querySelectorAll('.scatterlayer .point').length,
                insights: [...box.querySelectorAll('.curve-insights li')].map(li => li.textContent),
                aside: [...section.querySelectorAll('aside .insights li')].map(li => li.textContent)};
    })""")


def budget_state(page: Page) -> list[dict[str, object]]:
    """Per chart section: each point's drawn colour and opacity (by result id), the frontier within the budget, and
    the recommendation written beside the chart."""
    charts = page.evaluate("""() => [...document.querySelectorAll('section.chart')].map(section => {
        const plot = section.querySelector('.js-plotly-plot');
        const points = plot.data.filter(t => t.mode === 'markers+text').flatMap(t => t.customdata.map((c, i) => {
            const at = value => Array.isArray(value) ? value[i] : value;
            return [c[2], {color: at(t.marker.color), opacity: at(t.marker.opacity) ?? 1,
                           outside: c[0].includes('outside the budget')}];
        }));
        const within = plot.data.find(t => t.name === 'Frontier within the budget');
        const box = section.querySelector('.recommendation');
        return {points: Object.fromEntries(points),
                within: within ? {ids: within.ids.map(Number), x: [...within.x], y: [...within.y]} : null,
                recommendation: {hidden: box.hidden, state: box.dataset.state,
                                 answer: box.querySelector('.answer').textContent,
                                 picks: [...box.querySelectorAll('.picks li')].map(li => li.textContent)}};
    })""")
    return [chart | {"points": {int(key): point for key, point in chart["points"].items()}} for chart in charts]


def set_budget(page: Page, applied: str, latency_ms: str = "", min_top1: str = "", percentile: str = "99") -> None:
    """Type a budget into the panel and wait until every chart shows it: `applied` is the query it should become."""
    page.select_option("#budget select[name=percentile]", percentile)
    page.fill("#budget input[name=max_latency_ms]", latency_ms)
    page.fill("#budget input[name=min_top1]", min_top1)
    wait_for_budget(page, applied)


def wait_for_budget(page: Page, applied: str) -> None:
    page.wait_for_function("""applied => document.querySelector('#budget').dataset.applied === applied
        && document.body.dataset.rendered === 'true'
        && [...document.querySelectorAll('section.chart .recommendation')].every(box => applied === ''
            ? box.dataset.state === 'off' && box.hidden
            : box.dataset.state === 'ready' && box.dataset.query.includes(applied))""", arg=applied, timeout=8_000)


def outside(point: dict, max_ms: float | None = None, percentile: int = 99, min_top1: float | None = None) -> bool:
    """The budget's rule, written again: over the latency limit at the percentile (even at its 95 % interval's low
    end, where one is known), or of known top-1 below the floor."""
    key = f"p{percentile}"
    interval = (point.get("latency_ci95") or {}).get(key)
    if max_ms is not None and (interval[0] if interval else point["latency_ms"][key]) > max_ms:
        return True
    return min_top1 is not None and point["top1"] is not None and point["top1"] < min_top1


def frontier_within(chart: dict, **budget: float | int | None) -> list[int]:
    """Result ids of the Pareto frontier of the points within the budget that have a known top-1, by throughput."""
    inside = [p for p in chart["points"] if p["top1"] is not None and not outside(p, **budget)]
    beaten = lambda p: any(q["throughput"] >= p["throughput"] and q["top1"] >= p["top1"]  # noqa: E731
                           and (q["throughput"], q["top1"]) != (p["throughput"], p["top1"]) for q in inside)
    return [p["result_id"] for p in sorted((p for p in inside if not beaten(p)), key=lambda p: p["throughput"])]


def recommended(server: str, chart: dict, **budget: str) -> dict:
    params = {"backend": chart["backend"], "hardware": chart["hardware"], "engine": chart["engine"],
              "precision": chart["precision"], "limit": "3", **budget}
    response = httpx.get(f"{server}/recommend", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def assert_budget_drawn(drawn: dict, chart: dict, grey: set[int], frontier: list[int], found: dict) -> None:
    """The points of `grey` grey and faint, the others as without a budget; the frontier within it; the answer."""
    points = drawn["points"]
    assert set(points) == {p["result_id"] for p in chart["points"]}
    assert {i for i, p in points.items() if p["opacity"] < 1} == grey
    assert {i for i, p in points.items() if p["color"] == GREY} == grey
    assert {i for i, p in points.items() if p["outside"]} == grey  # and the hover says why
    speeds = {p["result_id"]: (p["throughput"], p["top1"]) for p in chart["points"]}
    assert drawn["within"]["ids"] == frontier
    assert list(zip(drawn["within"]["x"], drawn["within"]["y"], strict=True)) == [speeds[i] for i in frontier]
    recommendation = drawn["recommendation"]
    assert not recommendation["hidden"] and recommendation["answer"] == found["answer"]
    picks = found["items"] or found["unranked"] or found["misses"]
    assert recommendation["picks"] == [f"{item['label']}: {item['reason']}" for item in picks[:3]]


def test_curves_per_model_and_a_budget_that_greys_points_and_names_the_model_to_run(curve_server: str) -> None:
    server = curve_server
    cpu, gpu = sorted(httpx.get(f"{server}/charts/data").json()["charts"], key=lambda chart: chart["backend"])
    ids = {(p["model"], p["batch_size"], p["streams"]): p["result_id"] for p in cpu["points"]}
    curves = {curve["label"]: curve for curve in cpu["curves"]}
    assert set(curves) == {"resnet50", "efficientnet_b0"}  # the models measured at two or more configurations
    assert curves["resnet50"]["knee"] == ids[("resnet50", 8, 2)]
    assert [q["result_id"] for q in curves["resnet50"]["points"] if not q["front"]] == [ids[("resnet50", 4, 1)]]
    assert curves["efficientnet_b0"]["knee"] == ids[("efficientnet_b0", 1, 2)]
    SCREENSHOTS.mkdir(exist_ok=True)
    recommend_calls: list[str] = []

    with chromium_page() as (_, page):
        page.on("request", lambda request: "/recommend" in request.url and recommend_calls.append(request.url))
        page.goto(f"{server}/charts")
        page.wait_for_selector("body[data-rendered=true]", timeout=10_000)

        # One line per model through its configurations by p99, labelled b8×2 (b8 on the GPU); the front filled and
        # larger, the rest hollow and faint; each knee ringed; the curves' sentences beneath, not beside the chart.
        shown_cpu, shown_gpu = curves_state(page)
        configurations = sum(len(curve["points"]) for curve in cpu["curves"])
        assert not shown_cpu["hidden"] and (shown_cpu["curves"], shown_cpu["configurations"]) == (2, configurations)
        lines = {t["name"]: t for t in shown_cpu["traces"] if t["mode"] == "lines+markers+text"}
        assert set(lines) == {"resnet50", "efficientnet_b0"}
        for label, line in lines.items():
            curve = curves[label]
            assert line["ids"] == [q["result_id"] for q in curve["points"]]
            assert line["x"] == [q["latency_p99_ms"] for q in curve["points"]] == sorted(line["x"])
            assert line["y"] == [q["throughput"] for q in curve["points"]]
            assert line["text"] == [f"b{q['batch_size']}×{q['streams']}" for q in curve["points"]]
            assert line["symbol"] == ["circle" if q["front"] else "circle-open" for q in curve["points"]]
            assert all((size > 9) == q["front"] for size, q in zip(line["size"], curve["points"], strict=True))
            assert all((opacity == 1) == q["front"] for opacity, q in zip(line["opacity"], curve["points"], strict=True))
        assert "b8×2" in lines["resnet50"]["text"] and "b32×2" in lines["resnet50"]["text"]
        knees = next(t for t in shown_cpu["traces"] if t["name"].startswith("knee"))
        assert knees["ids"] == [curves["efficientnet_b0"]["knee"], curves["resnet50"]["knee"]]
        assert shown_cpu["drawn"] == configurations + 2  # every configuration, and a ring on each knee
        assert shown_cpu["insights"] == [curve["insight"] for curve in cpu["curves"]]
        assert "resnet50: the most throughput is batch 32 × 2 streams" in shown_cpu["insights"][1]
        assert not set(shown_cpu["aside"]) & set(shown_cpu["insights"])
        assert shown_cpu["aside"] + shown_cpu["insights"] == cpu["insights"]
        gpu_line = next(t for t in shown_gpu["traces"] if t["mode"] == "lines+markers+text")
        assert gpu_line["text"] == ["b1", "b8", "b32"] and shown_gpu["curves"] == 1
        page.locator("section.chart .curves").first.screenshot(path=SCREENSHOTS / "charts-curves.png")

        # No budget: nothing greyed, no second frontier, no recommendation, nothing asked of /recommend.
        for drawn in budget_state(page):
            assert not any(p["outside"] or p["opacity"] < 1 for p in drawn["points"].values())
            assert drawn["within"] is None and drawn["recommendation"]["hidden"]
        assert recommend_calls == []

        # p99 ≤ 50 ms: resnet50 beyond batch 1, efficientnet_b0 b8×2 and convnext_small miss it. The frontier within
        # it ends at resnet50 b1×2, the model GET /recommend names; every GPU point fits.
        set_budget(page, "max_latency_ms=50", latency_ms="50")
        assert "max_latency_ms=50" in page.url
        grey = {ids[("resnet50", b, s)] for b, s in ((4, 1), (8, 1), (8, 2), (32, 2))} | {
            ids[("efficientnet_b0", 8, 2)], ids[("convnext_small", 1, 2)]}
        assert {p["result_id"] for p in cpu["points"] if outside(p, max_ms=50)} == grey
        frontier = [ids[("resnet50", 1, 2)], ids[("efficientnet_b0", 1, 2)], ids[("mobilenetv3_large_100", 1, 2)]]
        assert frontier_within(cpu, max_ms=50) == frontier
        found = recommended(server, cpu, max_latency_ms="50")
        assert "the most accurate model is resnet50.a1_in1k (batch 1 × 2 streams)" in found["answer"]
        drawn_cpu, drawn_gpu = budget_state(page)
        assert_budget_drawn(drawn_cpu, cpu, grey, frontier, found)
        assert_budget_drawn(drawn_gpu, gpu, set(), frontier_within(gpu, max_ms=50), recommended(server, gpu, max_latency_ms="50"))
        assert len(recommend_calls) == 2  # one question per chart, not per point
        page.screenshot(path=SCREENSHOTS / "charts-budget.png", full_page=True)

        # Tighter, p99 ≤ 20 ms: resnet50 is out entirely and the recommendation moves to efficientnet_b0.
        set_budget(page, "max_latency_ms=20", latency_ms="20")
        found = recommended(server, cpu, max_latency_ms="20")
        assert "the most accurate model is efficientnet_b0.ra_in1k (batch 1 × 2 streams)" in found["answer"]
        grey = {p["result_id"] for p in cpu["points"] if outside(p, max_ms=20)}
        assert_budget_drawn(budget_state(page)[0], cpu, grey, frontier_within(cpu, max_ms=20), found)

        # The same limit at p50, and with a top-1 floor (a point of unknown accuracy cannot be judged on it).
        set_budget(page, "max_latency_ms=50&percentile=50", latency_ms="50", percentile="50")
        grey = {p["result_id"] for p in cpu["points"] if outside(p, max_ms=50, percentile=50)}
        assert ids[("resnet50", 8, 1)] not in grey and ids[("resnet50", 8, 2)] in grey  # p50 50 ms fits, 60 does not
        assert_budget_drawn(budget_state(page)[0], cpu, grey, frontier_within(cpu, max_ms=50, percentile=50),
                            recommended(server, cpu, max_latency_ms="50", percentile="50"))
        set_budget(page, "max_latency_ms=50&min_top1=80", latency_ms="50", min_top1="80")
        grey = {p["result_id"] for p in cpu["points"] if outside(p, max_ms=50, min_top1=80)}
        assert ids[("test_vit", 1, 2)] not in grey and ids[("mobilenetv3_large_100", 1, 2)] in grey
        assert_budget_drawn(budget_state(page)[0], cpu, grey, [ids[("resnet50", 1, 2)]],
                            recommended(server, cpu, max_latency_ms="50", min_top1="80"))

        # Nothing fits: the answer says so and the nearest misses are listed.
        set_budget(page, "max_latency_ms=0.5", latency_ms="0.5")
        found = recommended(server, cpu, max_latency_ms="0.5")
        assert found["items"] == [] and found["unranked"] == [] and found["misses"]
        assert_budget_drawn(budget_state(page)[0], cpu, {p["result_id"] for p in cpu["points"]}, [], found)

        # The budget survives the page's own reloads (a finished job re-fetches the data) and filter changes, and lives
        # in the address, so a link opens with it.
        set_budget(page, "max_latency_ms=20", latency_ms="20")
        calls = len(recommend_calls)
        page.evaluate("loadCharts()")
        page.wait_for_selector("body[data-rendered=true]")
        wait_for_budget(page, "max_latency_ms=20")
        assert page.input_value("#budget input[name=max_latency_ms]") == "20" and len(recommend_calls) == calls + 2
        grey = {p["result_id"] for p in cpu["points"] if outside(p, max_ms=20)}
        assert {i for i, p in budget_state(page)[0]["points"].items() if p["opacity"] < 1} == grey
        page.select_option("#filters select[name=size]", "peak_share")
        wait_for_budget(page, "max_latency_ms=20")
        assert "size=peak_share" in page.url and "max_latency_ms=20" in page.url
        assert {i for i, p in budget_state(page)[0]["points"].items() if p["opacity"] < 1} == grey
        page.goto(f"{server}/charts?max_latency_ms=20&min_top1=77")
        wait_for_budget(page, "max_latency_ms=20&min_top1=77")
        assert page.input_value("#budget input[name=min_top1]") == "77"
        assert_budget_drawn(budget_state(page)[0], cpu, {p["result_id"] for p in cpu["points"]
                                                         if outside(p, max_ms=20, min_top1=77)},
                            frontier_within(cpu, max_ms=20, min_top1=77),
                            recommended(server, cpu, max_latency_ms="20", min_top1="77"))

        # Bad input says what is wrong and asks nothing of the API; the charts are drawn as without a budget.
        for bad, says in (("abc", "Max latency must be a number of milliseconds above 0, not “abc”"),
                          ("-5", "Max latency must be a number of milliseconds above 0, not “-5”")):
            calls = len(recommend_calls)
            page.fill("#budget input[name=max_latency_ms]", bad)
            page.wait_for_function("says => document.querySelector('#budget-message').textContent.includes(says)", arg=says)
            wait_for_budget(page, "")
            assert page.is_visible("#budget-message") and "max_latency_ms" not in page.url
            page.wait_for_timeout(600)  # past the typing pause: still nothing asked
            assert len(recommend_calls) == calls
            assert not any(p["opacity"] < 1 for p in budget_state(page)[0]["points"].values())
        page.fill("#budget input[name=min_top1]", "101")
        page.wait_for_function("() => document.querySelector('#budget-message').textContent.includes('Min top-1')")
        set_budget(page, "max_latency_ms=20", latency_ms="20")
        assert page.is_hidden("#budget-message")

        # Clearing puts everything back as it was.
        page.click("#budget-clear")
        wait_for_budget(page, "")
        assert page.input_value("#budget input[name=max_latency_ms]") == "" and "max_latency_ms" not in page.url
        for drawn in budget_state(page):
            assert not any(p["outside"] or p["opacity"] < 1 or p["color"] == GREY for p in drawn["points"].values())
            assert drawn["within"] is None and drawn["recommendation"]["hidden"]


# --- precisions overlaid on one chart, INT8 accuracy unverified ---------------------------------------------------

UNVERIFIED_HOVER = "accuracy unverified (random calibration): the published top-1 of the float model"
UNVERIFIED_KEY = "accuracy unverified (random calibration)"
LINES_KEY = "same model, other precision"


def store_precisions() -> None:
    """tests.factories.precision_results, and test_vit, of unknown accuracy, at auto and fp32 (its line is drawn on the
    strip)."""
    seed(
        *precision_results(),
        make_result(7, model="test_vit", pretrained_tag=None, precision="auto", precision_used="bf16", throughput=900.0,
                    input_size=160),
        make_result(8, model="test_vit", pretrained_tag=None, precision="fp32", precision_used="fp32", throughput=450.0,
                    input_size=160),
    )


@pytest.fixture
def precision_server(embedded_stack: Stack, tmp_path: Path) -> Iterator[str]:
    yield from serve(embedded_stack, tmp_path, store_precisions)


def figure_state(page: Page) -> list[dict[str, object]]:
    """Per chart section: its title, every trace as charts.js gave it to Plotly, the legend as drawn, the insights
    and the recommendation's state."""
    return page.evaluate("""() => [...document.querySelectorAll('section.chart')].map(section => {
        const plot = section.querySelector('.js-plotly-plot');
        const list = value => Array.isArray(value) ? [...value] : value;
        return {
            title: section.querySelector('h2').textContent,
            traces: plot.data.map(t => ({name: t.name, mode: t.mode, yaxis: t.yaxis, showlegend: t.showlegend ?? true,
                x: [...t.x], y: [...t.y], color: list(t.marker?.color), symbol: list(t.marker?.symbol),
                ids: t.customdata ? t.customdata.map(c => c[2]) : [],
                hover: t.customdata ? t.customdata.map(c => c[0]) : []})),
            legend: [...plot.querySelectorAll('.legend .traces .legendtext')].map(t => t.textContent),
            insights: [...section.querySelectorAll('.insights li')].map(li => li.textContent),
        };
    })""")


def joined(ids: list[list[int]], value: Callable[[int], object]) -> list[object]:
    """Plotly's coordinates of lines drawn as one trace: each line's values, a gap (None) between lines."""
    out: list[object] = []
    for i, line in enumerate(ids):
        out += ([None] if i else []) + [value(point) for point in line]
    return out


def test_precisions_overlaid_on_one_chart_joined_per_model_with_int8_marked_unverified(precision_server: str) -> None:
    server = precision_server
    (chart,) = httpx.get(f"{server}/charts/data", params={"overlay": "precision"}).json()["charts"]
    points = {p["result_id"]: p for p in chart["points"]}
    by_label = {p["label"]: p for p in chart["points"]}
    lines = {line["label"]: line["points"] for line in chart["lines"]}
    assert set(lines) == {"resnet50", "levit_256", "test_vit"}  # mobilenet ran at one precision: no line
    unverified = {p["result_id"] for p in chart["points"] if p["accuracy_unverified"]}
    assert unverified == {by_label["resnet50 INT8"]["result_id"], by_label["levit_256 INT8"]["result_id"]}
    SCREENSHOTS.mkdir(exist_ok=True)
    data_requests: list[str] = []

    with chromium_page() as (_, page):
        page.on("request", lambda request: "/charts/data" in request.url and data_requests.append(request.url))
        page.goto(f"{server}/charts?overlay=precision")
        page.wait_for_selector("body[data-rendered=true]", timeout=10_000)
        # The overlay is a filter: the page's early request asked for it, and no second request was needed.
        assert data_requests == [f"{server}/charts/data?overlay=precision"]
        assert page.input_value("#filters select[name=overlay]") == "precision"
        assert "overlay" not in (page.get_attribute("#csv", "href") or "")

        (shown,) = figure_state(page)  # one chart for the engine, every precision on it
        assert shown["title"] == f"cpu · {CPU_HARDWARE} · openvino · precisions fp32, bf16 (default), int8"
        traces = shown["traces"]
        # Each model's precisions joined, in the API's order, beneath the markers (drawn first); test_vit on the strip.
        on_main = [line["points"] for line in chart["lines"] if line["label"] != "test_vit"]  # in the API's order
        drawn_lines = [t for t in traces if t["name"] == LINES_KEY]
        assert [t["mode"] for t in drawn_lines] == ["lines", "lines"] and traces[:2] == drawn_lines
        main_line, strip_line = drawn_lines
        assert lines["levit_256"] == [by_label["levit_256 BF16"]["result_id"], by_label["levit_256 INT8"]["result_id"]]
        assert main_line["yaxis"] == "y" and main_line["x"] == joined(on_main, lambda i: points[i]["throughput"])
        assert main_line["y"] == joined(on_main, lambda i: points[i]["top1"])
        assert strip_line["yaxis"] == "y2" and not strip_line["showlegend"]
        assert strip_line["x"] == [points[i]["throughput"] for i in lines["test_vit"]] == [450.0, 900.0]

        # A trace per precision, each its own colour; the INT8 points hollow, the others filled.
        markers = {t["name"]: t for t in traces if t["mode"] == "markers+text" and t["name"] != "accuracy unknown"}
        assert list(markers) == ["FP32", "BF16 (default)", "INT8"]
        assert len({t["color"] for t in markers.values()}) == 3
        assert {points[i]["precision_used"] for i in markers["INT8"]["ids"]} == {"int8"}
        assert set(markers["INT8"]["ids"]) == unverified
        int8_symbols = markers["INT8"]["symbol"]
        assert all(s.endswith("-open") for s in (int8_symbols if isinstance(int8_symbols, list) else [int8_symbols]))
        for name in ("FP32", "BF16 (default)"):
            symbols = markers[name]["symbol"]
            assert not any(s.endswith("-open") for s in (symbols if isinstance(symbols, list) else [symbols]))

        # The hover says the top-1 is the float model's published figure, on the INT8 points only, and what each buys.
        hovers = {i: h for t in traces for i, h in zip(t["ids"], t["hover"], strict=True)}
        assert set(hovers) == set(points)
        assert {i for i, h in hovers.items() if UNVERIFIED_HOVER in h} == unverified
        assert "<b>4.9×</b> the throughput of resnet50 at the default precision (bf16)" in \
            hovers[by_label["resnet50 INT8"]["result_id"]]
        assert "calibrated on random inputs" in hovers[by_label["levit_256 INT8"]["result_id"]]

        # The legend: the precisions, the families' symbols, one entry for the lines and one for the marking.
        legend = shown["legend"]
        assert legend.count(LINES_KEY) == 1 and legend.count(UNVERIFIED_KEY) == 1
        assert {"FP32", "BF16 (default)", "INT8", "CNN", "transformer", "hybrid", "mobile"} <= set(legend)
        assert "INT8: 4.9× resnet50, 2.1× levit_256 over the default (bf16)." in shown["insights"]
        assert any(s.startswith("2 points quantized to INT8 with random calibration") for s in shown["insights"])

        # The table marks the top-1 of the INT8 points, and says how they were calibrated.
        headers = page.eval_on_selector_all("#results-table th", "cells => cells.map(c => c.dataset.key)")
        rows = page.eval_on_selector_all("#results-table tbody tr", """rows => rows.map(r => [...r.cells].map(c =>
            [c.textContent, c.querySelector('.unverified')?.title ?? '']))""")
        top1, ran = headers.index("top1"), headers.index("precision_used")
        cells = {row[0][0]: (row[top1], row[ran][0]) for row in rows}
        assert len(cells) == len(points)
        assert cells["resnet50 INT8"][0][0] == "80.38 (unverified: random calibration)"
        assert cells["levit_256 INT8"][0][0] == "81.51 (unverified: random calibration)"
        assert UNVERIFIED_HOVER in cells["resnet50 INT8"][0][1]
        assert cells["resnet50 INT8"][1] == "int8 (random calibration)"
        assert {label for label, (cell, _) in cells.items() if "unverified" in cell[0]} == {"resnet50 INT8", "levit_256 INT8"}
        assert cells["resnet50 BF16"] == (["80.38", ""], "bf16")
        page.locator("section.chart").first.screenshot(path=SCREENSHOTS / "chart-precisions-overlay.png")

        # A budget on the overlaid chart: GET /recommend is asked about every precision (it knows no "all").
        set_budget(page, "min_top1=80", min_top1="80")
        (drawn,) = budget_state(page)
        assert {i for i, p in drawn["points"].items() if p["outside"]} == {by_label["mobilenetv3_large_100 BF16"]["result_id"]}
        assert "precision" not in page.get_attribute("section.chart .recommendation", "data-query")
        page.click("#budget-clear")
        wait_for_budget(page, "")

        # Off again: a chart per precision, no lines, the INT8 chart still marked unverified.
        page.select_option("#filters select[name=overlay]", "")
        page.wait_for_selector("body[data-rendered=true]")
        assert "overlay" not in page.url
        separate = figure_state(page)
        assert [s["title"].rsplit(" · ", 1)[1] for s in separate] == ["bf16", "fp32", "int8"]
        assert not any(t["name"] == LINES_KEY for s in separate for t in s["traces"])
        int8 = separate[2]
        assert int8["legend"].count(UNVERIFIED_KEY) == 1
        assert all(UNVERIFIED_HOVER in h for t in int8["traces"] for h in t["hover"])
        assert not any(UNVERIFIED_KEY in s["legend"] for s in separate[:2])
        page.select_option("#filters select[name=overlay]", "precision")
        page.wait_for_selector("body[data-rendered=true]")
        assert page.url.endswith("/charts?overlay=precision") and page.locator("section.chart").count() == 1
