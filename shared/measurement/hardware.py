"""What machine a result was measured on, and with which library versions."""

from __future__ import annotations

import os
import platform
import re
import socket
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any


def _cpuinfo() -> list[dict[str, str]]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    blocks = []
    for block in text.strip().split("\n\n"):
        entry = {}
        for line in block.splitlines():
            key, _, value = line.partition(":")
            entry[key.strip()] = value.strip()
        blocks.append(entry)
    return blocks


def logical_cpus() -> int:
    return len(os.sched_getaffinity(0))


@lru_cache
def physical_cores() -> int:
    """Cores this process may use, not counting hyper-threads."""
    info = _cpuinfo()
    threads_per_core = 1
    if info and info[0].get("siblings") and info[0].get("cpu cores"):
        threads_per_core = max(1, int(info[0]["siblings"]) // max(1, int(info[0]["cpu cores"])))
    return max(1, logical_cpus() // threads_per_core)


@lru_cache
def cpu_model() -> str:
    info = _cpuinfo()
    name = info[0].get("model name", "") if info else ""
    name = re.sub(r"\((R|TM|tm|r)\)|\bCPU\b|@.*$|\d+-Core Processor", " ", name or platform.processor() or "unknown CPU")
    return " ".join(name.split())


# The instruction-set flags that decide what OpenVINO's CPU plugin computes in and how fast.
ISA_FLAGS = frozenset({"avx2", "avx_vnni", "avx_vnni_int8", "avx_ne_convert", "avx512f", "avx512_vnni", "avx512_bf16",
                       "avx512_fp16", "amx_tile", "amx_int8", "amx_bf16", "amx_fp16"})


def cpu_flags() -> set[str]:
    """This CPU's flags among ISA_FLAGS, as /proc/cpuinfo lists them."""
    info = _cpuinfo()
    return set(info[0].get("flags", "").split()) & ISA_FLAGS if info else set()


def cpu_hardware() -> tuple[str, dict[str, Any]]:
    """The label results are filtered by (e.g. "Intel Xeon Processor, 2 cores") and the details behind it."""
    detail = {
        "cpu_model": cpu_model(),
        "physical_cores": physical_cores(),
        "logical_cpus": logical_cpus(),
        "isa": sorted(cpu_flags()),
        "memory_gb": memory_gb(),
        "machine": platform.machine(),
    }
    return f"{cpu_model()}, {physical_cores()} cores", detail


def memory_gb() -> float:
    """This machine's physical memory."""
    return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)


def usable_memory_gb() -> float:
    """The memory this process and its children may use: the machine's, or its cgroup's limit (a container's) when
    lower. The kernel's out-of-memory killer acts at whichever is reached first."""
    return round(min([memory_gb(), *(limit / 2**30 for limit in _cgroup_memory_limits())]), 1)


def _cgroup_memory_limits() -> list[int]:
    """The memory limits, in bytes, of this process's cgroup and of the cgroups above it (v2 or v1)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            root, name = Path("/sys/fs/cgroup"), "memory.max"  # v2 ("max" when unlimited)
        elif "memory" in controllers.split(","):
            root, name = Path("/sys/fs/cgroup/memory"), "memory.limit_in_bytes"  # v1 (a huge number when unlimited)
        else:
            continue
        folder = root / path.lstrip("/")
        for here in (folder, *folder.parents):
            try:
                text = (here / name).read_text().strip()
            except OSError:
                text = ""
            if text.isdigit():
                found.append(int(text))
            if here == root:
                break
    return found


def host() -> str:
    return socket.gethostname()


def versions(*packages: str) -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in packages:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return found


def query_gpus(fields: tuple[str, ...], gpu: str | None = None) -> list[dict[str, str]]:
    """nvidia-smi's answer for `fields`, one dict per GPU (only `gpu`, an index or UUID, when given); never
    initialises CUDA. Raises RuntimeError saying what is missing when no NVIDIA GPU answers."""
    command = ["nvidia-smi", f"--query-gpu={','.join(fields)}", "--format=csv,noheader,nounits"]
    try:
        done = subprocess.run(command + (["-i", gpu] if gpu else []), capture_output=True, text=True, timeout=30,
                              check=True)
    except (OSError, subprocess.SubprocessError) as error:
        raise RuntimeError(f"no NVIDIA GPU answered nvidia-smi ({error}); a GPU worker needs one and the NVIDIA driver "
                           "(SPEEDBOARD_GPU_DEVICE=cpu runs the worker's code path on the CPU, for testing)") from error
    rows = [line.split(",") for line in done.stdout.splitlines() if line.strip()]
    return [dict(zip(fields, (part.strip() for part in row), strict=True)) for row in rows if len(row) == len(fields)]
