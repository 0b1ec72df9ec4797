"""The GPU worker's whole job flow (claim, stages, result, errors) through a real Celery GPU worker process,
with its device set to the CPU (SPEEDBOARD_GPU_DEVICE=cpu): the plumbing proven without a GPU."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Stack
from tests.e2e.processes import WorkerProcess, result_rows, wait_for_status, wait_until
from worker_gpu.devices import CPU_LABEL

pytestmark = pytest.mark.e2e
ON_CPU = {"SPEEDBOARD_GPU_DEVICE": "cpu"}


def test_gpu_jobs_run_on_a_gpu_worker_and_its_failures_say_why(
    distributed_client: TestClient, distributed_stack: Stack, start_worker: Callable[..., WorkerProcess]
) -> None:
    client = distributed_client  # Redis and PostgreSQL, as compose runs the GPU worker
    waiting = client.post("/jobs", json={"model": "test_resnet", "backend": "gpu", "engine": "torch"}).json()
    assert waiting["detail"].startswith("waiting for a gpu worker (none connected")
    client.delete(f"/jobs/{waiting['id']}")

    worker = start_worker(distributed_stack, backend="gpu", env=ON_CPU)
    listed = client.get("/workers", params={"backend": "gpu"}).json()["items"]
    assert [(w["name"], w["hardware"]) for w in listed] == [(worker.name, CPU_LABEL)]

    tiny = {"model": "test_resnet", "backend": "gpu", "engine": "torch", "precision": "fp32", "batch_size": 2,
            "duration_s": 1}
    good = client.post("/jobs", json=tiny).json()["id"]
    trt = client.post("/jobs", json=tiny | {"engine": "tensorrt"}).json()["id"]
    after = client.post("/jobs", json=tiny | {"batch_size": 4}).json()["id"]

    seen = []  # the stages the job reports while it runs, as GET /jobs/{id} shows them
    wait_until(lambda: seen.append((j := client.get(f"/jobs/{good}").json())["stage"]) or j["status"] != "queued" and
               j["stage"] == "measuring", 120, "the gpu job to be measuring", every=0.05)
    wait_for_status(good, ("succeeded",), 120, worker)
    assert {"warming up", "measuring"} <= set(seen) and seen.index("warming up") < seen.index("measuring")
    result = client.get(f"/jobs/{good}").json()["result"]
    assert (result["backend"], result["engine"], result["hardware"], result["batch_size"]) == ("gpu", "torch", CPU_LABEL, 2)
    assert result["precision_used"] == "fp32" and result["throughput"] > 0 and result["iterations"] >= 20
    assert result["hardware_detail"]["engine"] == {"channels_last": True, "cuda_graphs": False}
    assert result["versions"]["torch"] and result["top1"] is not None  # accuracy joined as for any result

    failed = wait_for_status(trt, ("failed",), 120, worker)
    assert "TensorRT needs a CUDA GPU" in failed.error and result_rows(trt) == []
    assert wait_for_status(after, ("succeeded",), 120, worker).worker == worker.name  # the worker went on
