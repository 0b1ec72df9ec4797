"""The `speedboard` command the package installs, against a real API over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from shared.catalog.seed import SEED_MODELS
from shared.db.engine import session_scope
from shared.db.tables import Worker
from shared.jobs.presence import announce
from shared.jobs.queues import queues_of
from tests.conftest import REPO
from tests.e2e.processes import ApiProcess, free_port
from tests.factories import make_result, seed

pytestmark = pytest.mark.e2e
SPEEDBOARD = Path(sys.executable).with_name("speedboard")


def speedboard(*args: str) -> subprocess.CompletedProcess[str]:
    assert SPEEDBOARD.exists(), f"{SPEEDBOARD} is missing: the package's console script is not installed"
    return subprocess.run([str(SPEEDBOARD), *args], cwd=REPO, capture_output=True, text=True, timeout=60, check=False)


def test_suite_seed_queues_the_study_in_int8_and_status_reports_it(live_api: ApiProcess) -> None:
    unknown = speedboard("--url", live_api.url, "suite", "seed", "--backend", "cpu", "--hardware", "Bench CPU, 16 cores")
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
    assert "unknown hardware 'Bench CPU, 16 cores' for cpu jobs" in unknown.stderr and "make worker" in unknown.stderr
    with session_scope() as session:  # a worker row as a 16-core worker announces itself (no process behind it)
        announce(session, Worker(name="sixteen@bench", backend="cpu", hardware="Bench CPU, 16 cores", host="bench",
                                 queues=queues_of("cpu", "sixteen@bench", "Bench CPU, 16 cores")))
    queued = speedboard("--url", live_api.url, "suite", "seed", "--backend", "cpu", "--precision", "int8", "--duration", "2",
                        "--hardware", "Bench CPU, 16 cores")
    assert queued.returncode == 0, queued.stderr
    assert f"queued {len(SEED_MODELS)} seed models on cpu in int8 as suite" in queued.stdout
    suite_id = queued.stdout.split("as suite ", 1)[1].split()[0]
    assert f"chart: {live_api.url}/charts?suite={suite_id}" in queued.stdout
    with urllib.request.urlopen(f"{live_api.url}/jobs?limit=100") as response:
        jobs = json.load(response)["items"]
    assert {(j["model"], j["duration_s"], j["suite_id"], j["target_hardware"], j["precision"], j["calibration"])
            for j in jobs} == {(m, 2.0, suite_id, "Bench CPU, 16 cores", "int8", "random") for m in SEED_MODELS}

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


def test_sweep_queues_every_point_and_suite_status_follows_it(live_api: ApiProcess) -> None:
    queued = speedboard("--url", live_api.url, "sweep", "test_resnet", "test_vit", "--backend", "cpu",
                        "--batch-sizes", "1,2", "--streams", "1", "--duration", "2")
    assert queued.returncode == 0, queued.stderr
    assert "4 jobs (2 models × batch 1, 2 × streams 1)" in queued.stdout
    sweep_id = queued.stdout.split("queued sweep ", 1)[1].split(":")[0]
    status = speedboard("--url", live_api.url, "suite", "status", sweep_id)
    assert status.returncode == 0 and status.stdout.startswith(f"sweep {sweep_id}") and "0/4 finished" in status.stdout
    bad = speedboard("--url", live_api.url, "sweep", "resnet18", "--backend", "cpu", "--batch-sizes", "1,x")
    assert bad.returncode == 2 and "comma-separated list of whole numbers" in bad.stderr


def test_the_seed_sweep_takes_its_streams_from_the_worker_and_says_so(live_api: ApiProcess) -> None:
    no_worker = speedboard("--url", live_api.url, "suite", "seed", "--backend", "cpu", "--sweep")
    assert no_worker.returncode == 2 and "start a worker" in no_worker.stderr and "Traceback" not in no_worker.stderr
    with session_scope() as session:  # a worker row as a 4-core worker announces itself (no process behind it)
        announce(session, Worker(name="four@bench", backend="cpu", hardware="Bench CPU, 4 cores", host="bench",
                                 queues=queues_of("cpu", "four@bench", "Bench CPU, 4 cores"), physical_cores=4,
                                 memory_gb=16.0))
    queued = speedboard("--url", live_api.url, "suite", "seed", "--backend", "cpu", "--sweep", "--duration", "5")
    assert queued.returncode == 0, queued.stderr
    total = len(SEED_MODELS) * 3 * 3
    assert f"{total} jobs ({len(SEED_MODELS)} models × batch 1, 8, 32 × streams 1, 2, 4, from four@bench's cores)" \
        in queued.stdout


def test_recommend_writes_the_answer_and_fails_when_nothing_qualifies(live_api: ApiProcess) -> None:
    nothing = speedboard("--url", live_api.url, "recommend", "--max-latency-ms", "10")
    assert nothing.returncode == 1 and nothing.stdout.startswith("Nothing has been measured")
    seed(make_result(1, model="resnet18", pretrained_tag="a1_in1k", hardware="Bench CPU, 16 cores",
                     latency_ms={"mean": 4.0, "p50": 4.0, "p90": 5.0, "p95": 5.5, "p99": 6.0}))
    found = speedboard("--url", live_api.url, "recommend", "--max-latency-ms", "10", "--backend", "cpu")
    assert found.returncode == 0, found.stderr
    assert found.stdout.startswith("Within p99 ≤ 10 ms on Bench CPU, 16 cores, the most accurate model is resnet18")
    assert "meets" in found.stdout and "71.5 %" in found.stdout
    missed = speedboard("--url", live_api.url, "recommend", "--max-latency-ms", "5", "--percentile", "99")
    assert missed.returncode == 1 and "nearest misses:" in missed.stdout and "1 ms (20 %) over" in missed.stdout
