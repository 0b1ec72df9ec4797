"""The GPU worker's matmul peak module, on the CPU (no GPU here): its code path runs and gives fp32."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO


def test_the_module_measures_fp32_on_the_cpu() -> None:
    done = subprocess.run([sys.executable, "-m", "worker_gpu.peak"], input=json.dumps({"seconds": 0.4, "device": "cpu"}),
                          capture_output=True, text=True, timeout=120, cwd=REPO, check=True)
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert list(answer["peak_gflops"]) == ["fp32"] and answer["peak_gflops"]["fp32"] > 1
    assert "torch" in answer["method"] and "on CPU" in answer["method"] and answer["versions"]["torch"]
