"""Jobs through real Celery worker processes and real OpenVINO runs, on both stacks."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Stack
from tests.e2e.processes import (
    WorkerProcess,
    alive,
    job_state,
    pids_of_tree,
    result_rows,
    wait_for_stage,
    wait_for_status,
    wait_until,
)

pytestmark = pytest.mark.e2e
TINY = {"model": "test_resnet", "backend": "cpu", "duration_s": 1}


def submit(client: TestClient, **body: object) -> str:
    response = client.post("/jobs", json=TINY | body)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def test_job_runs_end_to_end_and_second_run_hits_the_cache(
    client: TestClient, stack: Stack, start_worker: Callable[[Stack], WorkerProcess]
) -> None:
    worker = start_worker(stack)
    first = submit(client, repeats=2)
    wait_for_status(first, ("succeeded",), 180, worker)
    job = client.get(f"/jobs/{first}").json()
    result = job["result"]
    assert job["status"] == "succeeded" and job["attempts"] == 1 and job["progress"] == 1.0
    assert (result["model"], result["backend"], result["engine"], result["pretrained_tag"]) == (
        "test_resnet", "cpu", "openvino", "r160_in1k")
    assert result["throughput"] > 0 and result["iterations"] >= 20 and result["duration_s"] >= 1
    assert result["latency_ms"]["p50"] <= result["latency_ms"]["p99"]
    assert result["precision"] == "auto" and result["precision_used"] in ("fp32", "fp16", "bf16")
    assert result["cache_hit"] is False and result["streams"] >= 1 and result["input_size"] == 160
    assert result["params_m"] == pytest.approx(0.47, abs=0.01) and result["gflops"] > 0
    assert result["hardware"].endswith(" cores") and result["versions"]["openvino"]
    # Two repeats, each its own benchmark process, combined: the mean with its interval, each run on its own.
    runs = client.get(f"/results/{result['id']}/runs").json()["items"]
    assert result["repeats"] == 2 and [run["id"] for run in runs] == result["run_ids"]
    assert [run["cache_hit"] for run in runs] == [False, True]  # the first converted, the second found the IR
    low, high = result["throughput_ci95"]
    mean = (runs[0]["throughput"] + runs[1]["throughput"]) / 2
    assert result["throughput"] == pytest.approx(mean) and low <= mean <= high and result["throughput_cv"] >= 0
    # Memory while measuring (OpenVINO only: conversion ran in a process of its own) and the IR on disk.
    assert 20 < result["peak_rss_mb"] < 2000 and 0 < result["artifact_mb"] < 10 and result["device_memory_mb"] is None
    # The worker measured its matmul peak at start; the result is a share of the peak of the precision that ran.
    peaks = client.get("/workers").json()["items"][0]["peak_gflops"]
    assert peaks.get("fp32", 0) > 0 and result["achieved_gflops"] == pytest.approx(result["gflops"] * result["throughput"])
    peak = peaks.get(result["precision_used"])  # a precision this CPU only emulates has no peak, and no share
    assert result["peak_share"] == (pytest.approx(result["achieved_gflops"] / peak) if peak else None)
    assert result["method_version"] == 2 and (result["stable_after_s"] is None) == (not result["stable"])

    second = submit(client)
    wait_for_status(second, ("succeeded",), 60, worker)
    again = client.get(f"/jobs/{second}").json()["result"]
    assert again["cache_hit"] is True and again["prepare_s"] < result["prepare_s"]
    assert again["repeats"] == 1 and again["throughput_ci95"] is None and len(again["run_ids"]) == 1
    listed = client.get("/results", params={"backend": "cpu"}).json()
    assert listed["total"] == 2 and {r["job_id"] for r in listed["items"]} == {first, second}
    # What a result says of its engine names the cached IR under the cache, never a folder of the worker's machine.
    assert result["hardware_detail"]["engine"]["ir"].startswith("openvino/")
    for path in ("/results", f"/jobs/{first}", f"/results/{result['id']}/runs", "/results?format=csv"):
        assert str(stack.data_dir.parent) not in client.get(path).text, path


def test_a_failing_job_says_why_and_the_worker_takes_the_next(
    client: TestClient, stack: Stack, start_worker: Callable[[Stack], WorkerProcess]
) -> None:
    worker = start_worker(stack)
    bad = submit(client, model="test_vit", input_size=40)
    good = submit(client)
    failed = wait_for_status(bad, ("failed",), 120, worker)
    assert "does not run at input size 40" in failed.error and "patch size" in failed.error
    assert failed.attempts == 1 and result_rows(bad) == []
    wait_for_status(good, ("succeeded",), 120, worker)


def test_cancelling_a_running_job(client: TestClient, stack: Stack, start_worker: Callable[[Stack], WorkerProcess]) -> None:
    worker = start_worker(stack)
    job_id = submit(client, duration_s=120)
    wait_for_stage(job_id, "measuring", 120)
    response = client.delete(f"/jobs/{job_id}")
    assert response.status_code == 202 and response.json()["status"] == "cancelling"
    wait_for_status(job_id, ("cancelled",), 8, worker)
    assert result_rows(job_id) == [] and worker.benchmark_pid() is None


@pytest.mark.parametrize("stack", ["embedded"], indirect=True)
def test_a_job_over_its_time_limit_fails_and_the_worker_goes_on(
    client: TestClient, stack: Stack, start_worker: Callable[[Stack], WorkerProcess]
) -> None:
    stack.env["SPEEDBOARD_JOB_TIME_LIMIT_S"] = "6"
    worker = start_worker(stack)
    job = wait_for_status(submit(client, duration_s=60), ("failed",), 60, worker)
    assert "exceeded the job time limit of 6 s" in job.error and result_rows(job.id) == []
    assert worker.benchmark_pid() is None and worker.process.poll() is None


def test_worker_killed_mid_measurement_job_is_retried_and_succeeds(
    client: TestClient, stack: Stack, start_worker: Callable[[Stack], WorkerProcess]
) -> None:
    doomed = start_worker(stack)
    job_id = submit(client, duration_s=4)
    wait_for_stage(job_id, "measuring", 120)
    tree = pids_of_tree(doomed.process.pid)
    assert len(tree) >= 2  # the worker and its benchmark process
    doomed.kill()
    wait_until(lambda: not any(alive(pid) for pid in tree), 10, "the whole worker process tree to die")

    start_worker(stack)  # its reaper notices the stale heartbeat and re-publishes the job
    job = wait_for_status(job_id, ("succeeded",), 120)
    assert job.attempts == 2 and "stopped sending heartbeats" in (job.last_failure or "")
    assert len(result_rows(job_id)) == 1


@pytest.mark.parametrize("stack", ["embedded"], indirect=True)
@pytest.mark.parametrize("how", ["sigterm", "ctrl-c"])
def test_stopping_a_worker_mid_job_hands_the_job_back_without_spending_an_attempt(
    client: TestClient, stack: Stack, start_worker: Callable[[Stack], WorkerProcess], how: str
) -> None:
    first = start_worker(stack)
    job_id = submit(client, duration_s=3)
    wait_for_stage(job_id, "measuring", 120)
    benchmark = first.benchmark_pid()
    assert benchmark is not None
    if how == "sigterm":
        first.process.send_signal(signal.SIGTERM)  # what the supervisor sends its workers when it stops
        assert first.process.wait(timeout=10) == 0
    else:
        # The terminal's SIGINT goes to the whole foreground group: it must not reach the measurement, which
        # would die before the worker hands the job back, and spend an attempt when it dies first.
        assert os.getpgid(benchmark) != os.getpgid(first.process.pid)
        first.interrupt()
        assert first.process.wait(timeout=10) == 1  # Celery's exit status for a warm shutdown by SIGINT
        assert "KeyboardInterrupt" not in first.tail(500)
    assert not alive(benchmark)
    requeued = job_state(job_id)
    assert requeued.status == "queued" and requeued.attempts == 0
    assert requeued.last_failure == "the worker running it was shut down"
    start_worker(stack)
    done = wait_for_status(job_id, ("succeeded",), 120)
    assert done.attempts == 1 and len(result_rows(job_id)) == 1


@pytest.mark.parametrize("stack", ["embedded"], indirect=True)
def test_benchmark_process_killed_on_the_last_attempt_fails_saying_how(
    client: TestClient, stack: Stack, start_worker: Callable[[Stack], WorkerProcess]
) -> None:
    stack.env["SPEEDBOARD_MAX_ATTEMPTS"] = "1"  # the worker's own setting: it records the lost attempt
    worker = start_worker(stack)
    job_id = submit(client, duration_s=30)
    wait_for_stage(job_id, "measuring", 120)
    benchmark = worker.benchmark_pid()
    assert benchmark is not None
    os.kill(benchmark, signal.SIGKILL)
    job = wait_for_status(job_id, ("failed",), 20, worker)
    assert "gave up after 1 attempts" in job.error and "killed by SIGKILL (likely out of memory)" in job.error
    assert worker.process.poll() is None  # the worker itself lives on
    wait_for_status(submit(client), ("succeeded",), 60, worker)
    assert job_state(job_id).status == "failed"
