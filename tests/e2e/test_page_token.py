"""The chart page behind tokens, in a real Chromium: the first GET answered 401 makes it ask for a token, once, and
the page then draws with it; the token is kept for the browser session."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Dialog, sync_playwright

from shared.access.tokens import create
from shared.db.engine import migrate, session_scope
from shared.db.tables import Job
from tests.conftest import Stack
from tests.e2e.processes import ApiProcess
from tests.e2e.test_chart_page import add_running_job, chromium_path, store_results

pytestmark = pytest.mark.e2e


def test_the_page_asks_for_a_token_once_and_draws_with_it(embedded_stack: Stack, tmp_path: Path) -> None:
    embedded_stack.env["SPEEDBOARD_PUBLIC_READ"] = "false"  # every GET of data needs a read token
    migrate()
    store_results()
    with session_scope() as session:
        secret = create(session, "browser", "read")
        job = session.get(Job, add_running_job())
        job.owner = "nightly-ci"  # the token that queued it, shown in the job list
        session.add(job)
        session.commit()
    api = ApiProcess(embedded_stack, tmp_path).wait_ready()
    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept(secret)

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
            page = browser.new_page()
            page.on("dialog", answer)
            page.goto(f"{api.url}/charts")
            page.wait_for_selector("body[data-rendered=true]", timeout=20_000)
            assert len(asked) == 1 and "speedboard token create" in asked[0]
            assert page.evaluate("document.querySelectorAll('.js-plotly-plot').length") >= 1
            assert page.evaluate("sessionStorage.getItem('speedboard-token')") == secret
            page.wait_for_selector("#job-list li", timeout=20_000)
            assert "queued by nightly-ci" in page.text_content("#job-list")

            page.reload()  # the same browser session: no second question
            page.wait_for_selector("body[data-rendered=true]", timeout=20_000)
            assert len(asked) == 1
            browser.close()
    finally:
        api.stop()
