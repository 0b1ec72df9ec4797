"""INT8 jobs through the API, a real Celery worker and real NNCF + OpenVINO, on Redis and PostgreSQL (as compose
runs them): a CNN and a transformer quantized, measured, stored and overlaid on the default precision."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openvino as ov
import pytest
from fastapi.testclient import TestClient

from shared.jobs.vocabulary import MIN_INT8_LAYER_SHARE
from tests.conftest import Stack
from tests.e2e.processes import WorkerProcess, wait_for_status


def int8_native() -> bool:
    flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags")).split()
    return bool({"avx512_vnni", "avx_vnni", "amx_int8"} & set(flags))


pytestmark = pytest.mark.e2e


def test_int8_jobs_of_a_cnn_and_a_transformer_run_quantized_end_to_end(
    distributed_client: TestClient, distributed_stack: Stack, start_worker: Callable[[Stack], WorkerProcess]
) -> None:
    client = distributed_client
    worker = start_worker(distributed_stack)
    queued = {}
    for model, precision in (("test_efficientnet", "int8"), ("test_vit", "int8"), ("test_efficientnet", "auto")):
        response = client.post("/jobs", json={"model": model, "backend": "cpu", "precision": precision, "input_size": 160,
                                              "duration_s": 1})
        assert response.status_code == 202, response.text
        queued[(model, precision)] = response.json()["id"]
    for job_id in queued.values():
        wait_for_status(job_id, ("succeeded", "failed"), 240, worker)
    results = {key: client.get(f"/jobs/{job_id}").json() for key, job_id in queued.items()}
    assert {key: job["status"] for key, job in results.items()} == {key: "succeeded" for key in queued}, \
        {key: job["error"] for key, job in results.items()}
    for model, model_type in (("test_efficientnet", "default"), ("test_vit", "transformer")):
        result = results[(model, "int8")]["result"]
        assert (result["precision"], result["precision_used"], result["calibration"]) == ("int8", "int8", "random")
        detail = result["hardware_detail"]
        # Read back from the runtime model: on a CPU with VNNI (AVX-512 or AVX) or AMX every convolution and matrix
        # multiplication of these two runs in u8/i8; an AVX2-only CPU keeps some in float (0.84 of test_efficientnet's
        # layers in int8 on an AVX2-only EPYC), still most. The rest runs in the plugin's native precision.
        share = detail["int8_layer_share"]
        assert share == 1.0 if int8_native() else MIN_INT8_LAYER_SHARE <= share <= 1.0, (model, share)
        assert detail["float_precision"] in ("fp32", "bf16", "fp16")
        quantization = detail["engine"]["quantization"]
        assert (quantization["model_type"], quantization["calibration"], quantization["calibration_images"]) == \
            (model_type, "random", 300)
        assert quantization["quantizer"].startswith("nncf ") and result["throughput"] > 0
        ir = ov.Core().read_model(Path(distributed_stack.data_dir, "cache", detail["engine"]["ir"]))  # named under the cache
        assert any(op.get_type_name() == "FakeQuantize" for op in ir.get_ops())
    assert results[("test_efficientnet", "auto")]["result"]["calibration"] is None
    listed = client.get("/results", params={"precision_used": "int8"}).json()
    assert {r["model"] for r in listed["items"]} == {"test_efficientnet", "test_vit"}
    # Overlaid, the CNN's two precisions are one line with INT8's speed-up over the default.
    (chart,) = client.get("/charts/data", params={"overlay": "precision"}).json()["charts"]
    (line,) = chart["lines"]
    assert line["label"] == "test_efficientnet" and line["precisions"][-1] == "int8" and line["speedups"]["int8"] > 0
    assert chart["insights"][0].startswith("INT8: ") and "test_efficientnet over the default" in chart["insights"][0]
