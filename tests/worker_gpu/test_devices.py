"""How GPU workers find their GPUs without initialising CUDA: nvidia-smi, here a FAKE nvidia-smi (there is no
GPU on CI machines) that prints what the real one prints for a two-GPU machine."""

from __future__ import annotations

import importlib.metadata
import socket
from pathlib import Path

import pytest

from shared.commands.supervisor import gpu_workers
from shared.settings import get_settings
from worker_gpu.devices import CPU_LABEL, gpu_hardware

FAKE_NVIDIA_SMI = """#!/bin/sh
# FAKE nvidia-smi for tests: answers the two queries Speedboard makes, for two H200s.
case "$*" in
  *query-gpu=index,uuid*) printf '0, GPU-aaaa\\n1, GPU-bbbb\\n' ;;
  *query-gpu=name*"-i GPU-bbbb"*) printf 'NVIDIA H100, 81559, 580.95.05, 9.0, GPU-bbbb\\n' ;;
  *query-gpu=name*) printf 'NVIDIA H200, 143771, 580.95.05, 9.0, GPU-aaaa\\n' ;;
  *) exit 1 ;;
esac
"""


@pytest.fixture
def two_gpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "nvidia-smi").write_text(FAKE_NVIDIA_SMI)
    (tmp_path / "nvidia-smi").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{__import__('os').environ['PATH']}")
    monkeypatch.delenv("SPEEDBOARD_GPU_DEVICE", raising=False)
    get_settings.cache_clear()


def test_one_worker_per_gpu_each_pinned_with_its_own_lock(two_gpus: None) -> None:
    children = gpu_workers()
    # by UUID, in PCI order: an index would mean another GPU to CUDA than to nvidia-smi on a mixed machine
    assert [c.env["CUDA_VISIBLE_DEVICES"] for c in children if c.env] == ["GPU-aaaa", "GPU-bbbb"]
    assert all(c.env["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID" for c in children if c.env)
    assert [c.env["SPEEDBOARD_HOST_LOCK_PATH"] for c in children if c.env] == [
        f"{get_settings().host_lock_path}.gpu0", f"{get_settings().host_lock_path}.gpu1"]
    assert all(c.argv[c.argv.index("-A") + 1] == "worker_gpu.tasks" and "gpu" in c.argv for c in children)
    host = socket.gethostname()
    assert [c.argv[c.argv.index("-n") + 1] for c in children] == [f"gpu0@{host}", f"gpu1@{host}"]
    again = gpu_workers(taken=frozenset({f"gpu0@{host}"}))  # a second `make worker-gpu` while the first runs
    assert [c.argv[c.argv.index("-n") + 1] for c in again] == [f"gpu0-2@{host}", f"gpu1@{host}"]


def test_the_gpu_is_described_by_nvidia_smi(two_gpus: None) -> None:
    label, detail = gpu_hardware()
    assert label == "NVIDIA H200"
    assert detail == {"gpu": "NVIDIA H200", "memory_gb": 140.4, "driver": "580.95.05", "compute_capability": "9.0",
                      "uuid": "GPU-aaaa"}


def test_each_worker_describes_the_gpu_it_is_pinned_to(two_gpus: None, monkeypatch: pytest.MonkeyPatch) -> None:
    second = gpu_workers()[1].env
    assert second is not None
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", second["CUDA_VISIBLE_DEVICES"])
    label, detail = gpu_hardware()
    assert (label, detail["uuid"]) == ("NVIDIA H100", "GPU-bbbb")


def test_without_a_gpu_the_worker_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi at all
    monkeypatch.delenv("SPEEDBOARD_GPU_DEVICE", raising=False)
    get_settings.cache_clear()
    with pytest.raises(RuntimeError, match="no NVIDIA GPU answered nvidia-smi"):
        gpu_hardware()
    with pytest.raises(SystemExit, match="no NVIDIA GPU answered nvidia-smi"):
        gpu_workers()
    monkeypatch.setenv("SPEEDBOARD_GPU_DEVICE", "cpu")
    get_settings.cache_clear()
    assert gpu_hardware()[0] == CPU_LABEL and len(gpu_workers()) == 1


def test_the_environment_holds_exactly_one_onnxruntime() -> None:
    names = {dist.metadata["Name"].lower() for dist in importlib.metadata.distributions()}
    assert sorted(n for n in names if n.startswith("onnxruntime")) == ["onnxruntime-gpu"]
    assert "nvidia-modelopt" in names
