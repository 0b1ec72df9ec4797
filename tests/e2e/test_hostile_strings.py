"""Hostile text in every user-controlled field the chart page draws, in a real Chromium against the real API: model
names, a pretrained tag, a variant's label (stored before labels had a pattern), a correction's source, hardware
labels, a sweep's name and a job's progress detail. Plotly draws a subset of HTML in marker text, hover and legends, so
each must reach it escaped: nothing runs, no element comes from the data, and the text reads literally.

The page is loaded with its Content-Security-Policy bypassed, so that only the escaping stands between the data and
the page: an injected handler would run (the last check proves it would).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import Page, Request, Route, sync_playwright

from shared.db.engine import session_scope
from shared.db.tables import CatalogEntry, Job, Suite
from tests.conftest import Stack
from tests.e2e.test_chart_page import SCREENSHOTS, chromium_path, serve
from tests.factories import make_result, seed

pytestmark = pytest.mark.e2e
IMG = '<img src=x onerror="window.__pwned=1">'
LINK = '<a href="javascript:window.__pwned=2">x</a>'
FORMULA = '=HYPERLINK("http://evil","x")'
VARIANT = FORMULA  # a variant's name: what GET /recommend, and so the recommendation, calls it


def store_hostile() -> None:
    """One CPU chart on hardware named LINK: a model named LINK at two batch sizes (a curve; no known top-1, so on the
    strip), resnet50 under the tag FORMULA (strip), a variant named FORMULA, labelled IMG, whose top-1 cites FORMULA,
    and resnet50's default tag corrected with a source IMG (faster and more accurate than the variant: the variant is
    dominated). Rows are written directly: the API refuses such names and labels now, older rows may hold them."""
    with session_scope() as session:
        session.add(CatalogEntry(name=VARIANT, kind="variant", base="resnet50", kwargs={}, label=IMG, top1=79.0,
                                 source=FORMULA, params_m=25.6))
        session.add(CatalogEntry(name="resnet50.a1_in1k", kind="correction", top1=80.5, source=IMG))
        session.add(Suite(kind="sweep", name=IMG, backend="cpu"))
        now = datetime.now(UTC)
        session.add(Job(model="resnet50", pretrained_tag="a1_in1k", backend="cpu", engine="openvino", queue="cpu",
                        status="running", stage="measuring", progress=0.5, attempts=1, worker="cpu@bench-1",
                        detail=LINK, started_at=now, heartbeat_at=now + timedelta(minutes=5)))
        session.commit()
    on = {"hardware": LINK}
    seed(make_result(1, model=LINK, pretrained_tag=None, batch_size=1, throughput=100.0, **on),
         make_result(2, model=LINK, pretrained_tag=None, batch_size=8, throughput=300.0,
                     latency_ms={"mean": 30.0, "stdev": 1.0, "p50": 29.0, "p90": 31.0, "p95": 32.0, "p99": 34.0}, **on),
         make_result(3, model="resnet50", pretrained_tag=FORMULA, throughput=150.0, **on),
         make_result(4, model=VARIANT, pretrained_tag=None, throughput=200.0, **on),
         make_result(5, model="resnet50", pretrained_tag="a1_in1k", throughput=250.0, **on))


@pytest.fixture
def server(embedded_stack: Stack, tmp_path: Path) -> Iterator[str]:
    yield from serve(embedded_stack, tmp_path, store_hostile)


@contextmanager
def page_without_csp() -> Iterator[tuple[Page, list[str]]]:
    """A Chromium page that ignores the Content-Security-Policy and may reach 127.0.0.1 only; yields it and the
    console errors so far (an <img src=x> that got through would add one, loading /x)."""
    errors: list[str] = []

    def local_only(route: Route, request: Request) -> None:
        if urlparse(request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            errors.append(f"the page reached {request.url}")
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(),
                                             args=["--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"])
        context = browser.new_context(viewport={"width": 1600, "height": 1000}, bypass_csp=True)
        context.route("**/*", local_only)
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page, errors
        browser.close()


# Every element the page draws from data that could carry markup, and every link, image or handler in the document.
DRAWN = """() => {
    const texts = (root, selector) => [...root.querySelectorAll(selector)].map((e) => e.textContent);
    const plots = [...document.querySelectorAll('.js-plotly-plot')];
    return {
        pwned: window.__pwned ?? null,
        images: document.querySelectorAll('img, image, [onerror], [onload], [onmouseover]').length,
        svgLinks: document.querySelectorAll('svg a').length,
        links: [...document.querySelectorAll('a')].filter((a) => !a.classList.contains('modebar-btn'))
            .map((a) => ({ text: a.textContent, href: a.getAttribute('href'), in: a.closest('[id]')?.id ?? '' })),
        titles: texts(document, 'section.chart h2'),
        markerText: plots.flatMap((plot) => texts(plot, '.textpoint text')),
        legend: plots.flatMap((plot) => texts(plot, '.legendtext')),
        table: [...document.querySelectorAll('#results-table tbody tr')].map((row) => texts(row, 'td')),
        headers: texts(document, '#results-table th'),
        options: Object.fromEntries(['hardware', 'suite'].map((name) =>
            [name, texts(document, `#filters select[name=${name}] option`)])),
        insights: texts(document, '.insights li, .curve-insights li'),
        picks: texts(document, '.picks li'),
        jobs: document.querySelector('#job-list').textContent,
    };
}"""

# Hovers the point of result `id` on the main chart and returns the hover box's text as drawn, once it is that point's
# (Plotly throttles hovers: one that follows another closely is drawn a moment later).
HOVER = """async (id) => {
    const plot = document.querySelector('section.chart .js-plotly-plot');
    const curve = plot._fullData.findIndex((t) => t.customdata && t.customdata.some((c) => c[2] === id));
    const point = plot._fullData[curve].customdata.findIndex((c) => c[2] === id);
    Plotly.Fx.hover(plot, [{ curveNumber: curve, pointNumber: point }], plot._fullData[curve].yaxis === 'y2' ? 'xy2' : 'xy');
    for (let tries = 0; plot._hoverdata?.[0]?.customdata?.[2] !== id && tries < 100; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return plot.querySelector('.hoverlayer').textContent;
}"""


def escaped(text: str) -> str:
    """`text` as the page hands it to Plotly (charts.js escapeHtml)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;")


def test_hostile_strings_are_drawn_as_text_and_never_run(server: str) -> None:
    with page_without_csp() as (page, errors):
        page.goto(f"{server}/charts?max_latency_ms=1000")  # a budget: the recommendation lists labels too
        page.wait_for_selector("body[data-rendered=true]", timeout=20_000)
        page.wait_for_selector(".recommendation[data-state=ready]", timeout=10_000)
        page.wait_for_function("document.querySelectorAll('#job-list li').length > 0", timeout=15_000)
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "charts-hostile.png", full_page=True)
        (chart,) = httpx.get(f"{server}/charts/data").json()["charts"]
        ids = {p["label"]: p["result_id"] for p in chart["points"]}
        hovers = {label: page.evaluate(HOVER, ids[label]) for label in (IMG, "resnet50." + FORMULA, "resnet50")}
        drawn = page.evaluate(DRAWN)

        # Nothing ran, and no image, handler or link came from the data: the only links are the page's own.
        assert drawn["pwned"] is None and drawn["images"] == 0 and drawn["svgLinks"] == 0
        assert errors == [], f"console errors: {errors}"  # an <img src=x> would have tried to load /x
        own = [link for link in drawn["links"] if link["in"] in ("csv", "empty-filtered")]
        runs = [link for link in drawn["links"] if link["in"] == "results-table"]
        assert len(own) + len(runs) == len(drawn["links"]), drawn["links"]
        assert all(re.fullmatch(r"\d+", link["text"]) and link["href"].startswith("/results?config=") for link in runs)

        # The text reads literally wherever it is drawn: title, marker labels, legend, hover, table, filters, lists.
        assert drawn["titles"] == [f"cpu · {LINK} · openvino · fp16"]
        assert IMG in drawn["markerText"] and f"resnet50.{FORMULA}" in drawn["markerText"]
        assert sum(text.startswith(LINK) for text in drawn["markerText"]) == 2  # each with its configuration
        assert LINK in drawn["legend"]  # the curve of the model named LINK
        assert all(LINK in hover for hover in hovers.values())  # the hardware
        assert f"({FORMULA})" in hovers[IMG]  # the variant's source
        assert f"({FORMULA})" in hovers["resnet50." + FORMULA]  # the tag
        assert f"({IMG})" in hovers["resnet50"]  # the corrected top-1's source
        model, hardware = drawn["headers"].index("Model"), drawn["headers"].index("Hardware")
        labels = {row[model] for row in drawn["table"]}
        assert {IMG, f"resnet50.{FORMULA}", "resnet50"} < labels and sum(label.startswith(LINK) for label in labels) == 2
        assert {row[hardware] for row in drawn["table"]} == {LINK}
        assert LINK in drawn["options"]["hardware"] and any(IMG in o for o in drawn["options"]["suite"])
        assert any(s.startswith(f"{IMG} is dominated: resnet50") for s in drawn["insights"]), drawn["insights"]
        assert any(s.startswith(f"{LINK}: ") for s in drawn["insights"])  # the curve's sentence
        assert any(s.startswith(f"{FORMULA} (batch 1") for s in drawn["picks"]), drawn["picks"]
        assert LINK in drawn["jobs"]
        # What reached Plotly for the hover is the escaped text (Plotly turns the entities back into characters).
        hover_data = page.evaluate("""() => document.querySelector('section.chart .js-plotly-plot')._fullData
            .flatMap((t) => t.customdata ? t.customdata.map((c) => c[0]) : []).join('\\n')""")
        assert escaped(LINK) in hover_data and escaped(FORMULA) in hover_data and "<a " not in hover_data

        # The escaping, not the policy, kept the handlers from running: without the policy an injected one runs.
        page.evaluate("""() => document.body.insertAdjacentHTML('beforeend',
            '<img id=probe src="data:," onerror="window.__probe = 1">')""")
        page.wait_for_function("window.__probe === 1", timeout=5_000)
