"""The GPU a worker benchmarks on: described by nvidia-smi in the worker (which never initialises CUDA)
and by torch in the benchmark process.

SPEEDBOARD_GPU_DEVICE=cpu runs the GPU worker's code path on the CPU: for tests on machines without a GPU.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from shared.measurement.hardware import cpu_hardware, query_gpus

CPU_LABEL = "CPU standing in for a GPU (SPEEDBOARD_GPU_DEVICE=cpu)"
SMI_FIELDS = ("name", "memory.total", "driver_version", "compute_cap", "uuid")


def device_setting() -> str:
    return os.environ.get("SPEEDBOARD_GPU_DEVICE", "cuda")


def gpu_hardware() -> tuple[str, dict[str, Any]]:
    """(label, detail) of this worker's GPU, e.g. ("NVIDIA H200", {...}), without creating a CUDA context."""
    if device_setting() == "cpu":
        label, detail = cpu_hardware()
        return CPU_LABEL, detail | {"cpu": label}
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "0").split(",")[0].strip() or "0"
    found = query_gpus(SMI_FIELDS, visible)
    if not found:
        raise RuntimeError(f"nvidia-smi described no GPU {visible} (CUDA_VISIBLE_DEVICES); check the driver with nvidia-smi")
    values = found[0]
    detail = {"gpu": values["name"], "memory_gb": round(float(values["memory.total"]) / 1024, 1),
              "driver": values["driver_version"], "compute_capability": values["compute_cap"], "uuid": values["uuid"]}
    return values["name"], detail


def driver_version() -> str | None:
    """The NVIDIA driver's version, read without nvidia-smi where the kernel module says it."""
    text = Path("/proc/driver/nvidia/version").read_text() if Path("/proc/driver/nvidia/version").exists() else ""
    for word in text.split():
        if word.count(".") >= 1 and word.replace(".", "").isdigit():
            return word
    return None
