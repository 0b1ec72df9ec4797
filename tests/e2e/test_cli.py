"""The `speedboard` command the package installs, against a real API over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from shared.catalog.seed import SEED_MODELS
from tests.conftest import REPO
from tests.e2e.processes import ApiProcess, free_port

pytestmark = pytest.mark.e2e
SPEEDBOARD = Path(sys.executable).with_name("speedboard")


def speedboard(*args: str) -> subprocess.CompletedProcess[str]:
    assert SPEEDBOARD.exists(), f"{SPEEDBOARD} is missing: the package's console script is not installed"
    return subprocess.run([str(SPEEDBOARD), *args], cwd=REPO, capture_output=True, text=True, timeout=60, check=False)


def test_suite_seed_queues_the_study_and_status_reports_it(live_api: ApiProcess) -> None:
    queued = speedboard("--url", live_api.url, "suite", "seed", "--backend", "cpu", "--duration", "2",
                        "--hardware", "Bench CPU, 16 cores")
    assert queued.returncode == 0, queued.stderr
    assert f"queued {len(SEED_MODELS)} seed models on cpu as suite" in queued.stdout
    suite_id = queued.stdout.split("as suite ", 1)[1].split()[0]
    assert f"chart: {live_api.url}/charts?suite={suite_id}" in queued.stdout
    with urllib.request.urlopen(f"{live_api.url}/jobs?limit=100") as response:
        jobs = json.load(response)["items"]
    assert {(j["model"], j["duration_s"], j["suite_id"], j["target_hardware"]) for j in jobs} == \
        {(m, 2.0, suite_id, "Bench CPU, 16 cores") for m in SEED_MODELS}

    status = speedboard("suite", "status", suite_id, "--url", live_api.url)  # --url also after the command
    assert status.returncode == 0 and f"0/{len(SEED_MODELS)} finished" in status.stdout and "queued" in status.stdout


def test_it_says_what_to_do_when_no_api_answers() -> None:
    port = free_port()  # nothing listens there once the probe closed
    done = speedboard("--url", f"http://127.0.0.1:{port}", "suite", "seed", "--backend", "cpu")
    assert done.returncode == 2 and "no Speedboard API answers" in done.stderr and "make run" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_suite_is_reported_not_raised(live_api: ApiProcess) -> None:
    done = speedboard("--url", live_api.url, "suite", "status", "nope")
    assert done.returncode == 2 and "404" in done.stderr and "GET /suites" in done.stderr


def test_odd_ids_and_addresses_are_said_not_raised(live_api: ApiProcess) -> None:
    for suite_id in ("x?y", "a b", "../jobs"):
        done = speedboard("--url", live_api.url, "suite", "status", suite_id)
        assert done.returncode == 2 and "404" in done.stderr and "Traceback" not in done.stderr, done.stderr
    for url in ("notaurl", "http://127.0.0.1:8000 x"):
        done = speedboard("--url", url, "suite", "status", "abc")
        assert done.returncode == 2 and "give --url like" in done.stderr and "Traceback" not in done.stderr, done.stderr
