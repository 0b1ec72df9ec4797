"""This GPU's sustained matrix-multiply peak per precision, measured with torch's matmul (cuBLAS): fp32 with TF32
tensor cores allowed (TensorRT builds fp32 engines with TF32 and cuDNN runs fp32 convolutions in it by default, so
the fp32 peak those engines can reach is TF32's: a peak without it would put their share far above 1), fp16,
bf16 where the GPU has it, int8 through torch._int_mm where this torch has it.

Runs as `python -m worker_gpu.peak` in a process of its own, so the worker never initialises CUDA:
stdin `{"seconds": s, "device": "cuda" | "cpu"}` (seconds per precision), one JSON line out:
`{"peak_gflops": {...}, "method": ..., "versions": {...}}`. Device "cpu" measures fp32 only, with torch on the
CPU: the code path the tests run. Written for a GPU but not yet run on one (it was written on machines without
one): the CUDA path is untested.

Imports only torch and shared.measurement.hardware.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

import torch

from shared.measurement.hardware import versions

SIZES = {"cuda": 8192, "cpu": 1920}  # square matmuls big enough to keep the whole device busy
WARMUP_S = 0.3
WINDOWS = 3  # the best window is the sustained peak: the others absorb a neighbour's noise
DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def supported_precisions(device: torch.device) -> list[str]:
    if device.type != "cuda":
        return ["fp32"]
    found = ["fp32", "fp16"]
    if torch.cuda.is_bf16_supported():
        found.append("bf16")
    if hasattr(torch, "_int_mm"):
        found.append("int8")
    return found


def matmul_step(precision: str, size: int, device: torch.device) -> Callable[[], object]:
    """One size x size x size matmul in `precision`, on operands made once."""
    if precision == "int8":
        a, b = (torch.randint(-128, 128, (size, size), dtype=torch.int8, device=device) for _ in range(2))
        return lambda: torch._int_mm(a, b)
    a, b = (torch.randn(size, size, dtype=DTYPES[precision], device=device) for _ in range(2))
    out = torch.empty_like(a)
    return lambda: torch.matmul(a, b, out=out)


def timed(step: Callable[[], object], count: int, device: torch.device) -> float:
    """Seconds `count` back-to-back steps take: CUDA events around them on a GPU, the wall clock on the CPU."""
    if device.type != "cuda":
        started = time.perf_counter()
        for _ in range(count):
            step()
        return time.perf_counter() - started
    begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    begin.record()
    for _ in range(count):
        step()
    end.record()
    end.synchronize()
    return begin.elapsed_time(end) / 1000


def sustained_gflops(step: Callable[[], object], size: int, seconds: float, device: torch.device) -> float:
    """Warm up (doubling the batch of steps until one lasts a third of WARMUP_S), then the best of WINDOWS windows."""
    count, took = 1, timed(step, 1, device)
    while took < WARMUP_S / 3:
        count *= 2
        took = timed(step, count, device)
    count = max(1, round(seconds / WINDOWS / (took / count)))
    best = min(timed(step, count, device) for _ in range(WINDOWS))
    return 2 * size**3 * count / best / 1e9


def main() -> int:
    request = json.loads(sys.stdin.read() or "{}")
    seconds, device = float(request.get("seconds", 3.0)), torch.device(request.get("device", "cuda"))
    torch.backends.cuda.matmul.allow_tf32 = True  # as the engines compute fp32 (see the module's docstring)
    torch.set_float32_matmul_precision("high")
    size = SIZES[device.type]
    peaks: dict[str, float] = {}
    notes = []
    with torch.inference_mode():
        for precision in supported_precisions(device):
            try:
                peaks[precision] = round(sustained_gflops(matmul_step(precision, size, device), size, seconds, device), 1)
            except RuntimeError as error:  # an int8 shape or dtype this torch or GPU refuses, say
                notes.append(f"{precision} not measured ({str(error).strip().splitlines()[0][:300]})")
            if device.type == "cuda":
                torch.cuda.empty_cache()
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    labels = {"int8": "int8 (torch._int_mm)"} | ({"fp32": "fp32 (TF32 allowed)"} if device.type == "cuda" else {})
    measured = ", ".join(labels.get(precision, precision) for precision in peaks) or "nothing"
    method = (f"torch {torch.__version__} matmul {size}x{size}x{size} on {name} in {measured}, "
              f"{'CUDA events' if device.type == 'cuda' else 'wall clock'}, best of {WINDOWS} windows over {seconds:g} s")
    found = versions("torch") | ({"cuda": str(torch.version.cuda)} if device.type == "cuda" else {})
    print(json.dumps({"peak_gflops": peaks, "method": "; ".join([method, *notes]), "versions": found}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
