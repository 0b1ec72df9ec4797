"""The API never imports torch, timm or openvino: not at start, not while serving (catalog and charts included)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO, Stack

SCRIPT = """
import sys
from fastapi.testclient import TestClient
from api.main import app
with TestClient(app, base_url="http://localhost") as client:
    job = client.post("/jobs", json={"model": "resnet50", "backend": "cpu"})
    assert job.status_code == 202, job.text
    assert client.post("/jobs", json={"model": "resnt50", "backend": "cpu"}).status_code == 422
    assert client.get(f"/jobs/{job.json()['id']}").status_code == 200
    assert client.get("/results?backend=cpu").status_code == 200
    assert client.get("/results?format=csv").status_code == 200
    assert client.get("/health").status_code == 200
    assert client.get("/models?limit=10000").status_code == 200
    assert client.put("/models/resnet50", json={"top1": 80.0, "source": "test"}).status_code == 200
    variant = {"name": "tiny_vit_variant", "base": "test_vit", "kwargs": {"depth": 1}}
    assert client.post("/models", json=variant).status_code == 202  # counted later, by a CPU worker
    assert client.post("/suites", json={"backend": "cpu"}).status_code == 202
    assert client.get("/charts/data").status_code == 200
    assert client.get("/charts").status_code == 200
    assert client.get("/vocabulary").status_code == 200
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "timm", "openvino", "tensorrt", "torchvision"))
print("HEAVY:", heavy)
"""


def test_api_imports_no_ml_library(stack: Stack) -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, env=stack.process_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "HEAVY: []" in done.stdout, done.stdout
