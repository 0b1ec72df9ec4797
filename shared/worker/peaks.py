"""A worker's matrix-multiply peak per precision, which each result's peak share is measured against.

Measured once per host, CPU and library versions (then read from the cache), by the worker's peak module
(worker_cpu.peak, worker_gpu.peak) run as a process of its own: the worker never loads OpenVINO or CUDA.
Measured under the host lock, so never while a benchmark runs on the same machine. Never raises: a worker
whose peak could not be measured still works, its results just have no peak share.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.measurement.children import run_module
from shared.measurement.hardware import cpu_flags, cpu_model, host, versions
from shared.worker.host_lock import host_lock

log = logging.getLogger("speedboard.worker")

BASE_TIMEOUT_S = 120.0  # compiling and warming up; plus a few times the measuring itself (up to four precisions)
LIBRARIES = ("openvino", "torch", "numpy")


def peaks_key(module: str, extra_key: dict[str, str]) -> str:
    """What a peak depends on: the measuring module, the machine, its CPU and the libraries that multiply."""
    described = {"module": module, "host": host(), "cpu_model": cpu_model(), "cpu_flags": sorted(cpu_flags()),
                 "versions": versions(*LIBRARIES), "extra": extra_key}
    return hashlib.sha1(json.dumps(described, sort_keys=True).encode()).hexdigest()[:12]


def machine_peaks(module: str, folder: Path, seconds: float, lock_path: Path, extra_key: dict[str, str],
                  still_wanted: Callable[[], bool] = lambda: True) -> dict[str, Any]:
    """{"peak_gflops": {precision: GFLOP/s}, "method", "versions", "measured_at", "cached"}, cached in `folder`;
    `extra_key` is part of the cache key and of what the module reads on stdin (the GPU worker's device, say).
    Waits for the host lock while `still_wanted()`."""
    path = folder / f"{host()}-{peaks_key(module, extra_key)}.json"
    cached = _cached(path)
    if cached is not None:
        return cached
    try:
        with host_lock(lock_path, still_wanted) as acquired:
            if not acquired:
                raise RuntimeError("the worker stopped while waiting for the host lock")
            # Another worker on this host may have measured while we waited.
            cached = _cached(path)
            if cached is not None:
                return cached
            measured = _measure(module, seconds, extra_key)
    except Exception as error:  # noqa: BLE001  (a worker without a peak still works)
        reason = str(error).strip().splitlines()[-1][:300] if str(error).strip() else type(error).__name__
        log.warning("could not measure this worker's peak with %s: %s", module, reason)
        return {"peak_gflops": {}, "method": f"not measured: {reason}", "versions": versions(*LIBRARIES),
                "measured_at": _now(), "cached": False}
    if measured["peak_gflops"]:  # an empty answer is not kept: the next start tries again
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(measured, indent=1))
        partial.replace(path)
    return measured | {"cached": False}


def _cached(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        return _checked(json.loads(path.read_text()), str(path)) | {"cached": True}
    except (OSError, ValueError) as error:
        log.warning("measuring again: unreadable peak cache %s (%s)", path, error)
        return None


def _measure(module: str, seconds: float, extra_key: dict[str, str]) -> dict[str, Any]:
    """Run the peak module (the caller holds the host lock) and check its answer; raises what went wrong."""
    answer = run_module(module, json.dumps(extra_key | {"seconds": seconds}), timeout=BASE_TIMEOUT_S + 5 * seconds)
    return _checked(answer, module) | {"measured_at": _now()}


def _checked(answer: object, source: str) -> dict[str, Any]:
    """The peak answer with positive numbers only; ValueError if it is not one."""
    if not isinstance(answer, dict) or not isinstance(answer.get("peak_gflops"), dict):
        raise ValueError(f"{source} gave no peak_gflops")
    try:
        peaks = {str(precision): float(value) for precision, value in answer["peak_gflops"].items()}
    except (TypeError, ValueError) as error:
        raise ValueError(f"{source} gave a peak that is not a number ({error})") from None
    return answer | {"peak_gflops": {precision: value for precision, value in peaks.items() if value > 0},
                     "method": str(answer.get("method", source)), "versions": answer.get("versions", {})}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
