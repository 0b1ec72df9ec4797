"""This CPU's sustained matrix-multiply peak per precision, measured through OpenVINO's CPU plugin: the library
that runs the benchmarks, set up the way they run (throughput hint, one stream per physical core, every infer
request kept busy), so that a result's peak share compares like with like.

Runs as `python -m worker_cpu.peak` in a process of its own, so the worker never loads OpenVINO:
stdin `{"seconds": s}` (per precision), one JSON line out: `{"peak_gflops": {...}, "method": ..., "versions": {...}}`.
Imports only OpenVINO, numpy and shared.measurement.hardware.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import openvino as ov
from openvino import opset13 as ops

from shared.measurement.hardware import cpu_flags, physical_cores, versions

M = N = K = 1920  # not a power of two: 1024 and 2048 alias in the caches and ran fp32 ~30 % slower on a Zen 4
FLOPS = 2 * M * N * K
WARMUP_S = 0.3
WINDOWS = 3  # the best window is the sustained peak: the others absorb a neighbour's noise
MATMUL = "peak_matmul"
HINTS = {"fp32": "f32", "bf16": "bf16", "int8": "f32"}  # int8 comes from FakeQuantize, not from a hint
RUNS_IN = {"fp32": {"f32"}, "bf16": {"bf16"}, "int8": {"u8", "i8"}}


class PeakError(RuntimeError):
    """This precision's peak cannot be measured honestly here."""


def supported_precisions(flags: set[str]) -> list[str]:
    """fp32 always; bf16 and int8 only where the CPU has instructions for them (else OpenVINO emulates or falls back)."""
    found = ["fp32"]
    if flags & {"avx512_bf16", "amx_bf16"}:
        found.append("bf16")
    if flags & {"avx512_vnni", "avx_vnni", "amx_int8"}:
        found.append("int8")
    return found


def matmul_model(quantized: bool) -> ov.Model:
    """x (M x K, parameter) @ w (K x N, constant); quantized: FakeQuantize (256 levels) on both, so OpenVINO's
    low-precision transformations turn it into an int8 MatMul (u8 activations, i8 weights)."""
    x = ops.parameter([M, K], ov.Type.f32, name="x")
    a, b = x, ops.constant(np.random.default_rng(0).uniform(-1, 1, (K, N)).astype(np.float32))
    if quantized:
        def scalar(value: float) -> ov.Node:
            return ops.constant(np.float32(value))

        a = ops.fake_quantize(a, scalar(0), scalar(2.55), scalar(0), scalar(2.55), 256)
        b = ops.fake_quantize(b, scalar(-1.28), scalar(1.27), scalar(-1.28), scalar(1.27), 256)
    matmul = ops.matmul(a, b, False, False)
    matmul.set_friendly_name(MATMUL)
    return ov.Model([matmul], [x], "peak")


def compile_matmul(precision: str, streams: int) -> ov.CompiledModel:
    config = {"PERFORMANCE_HINT": "THROUGHPUT", "NUM_STREAMS": str(streams), "INFERENCE_PRECISION_HINT": HINTS[precision]}
    return ov.Core().compile_model(matmul_model(precision == "int8"), "CPU", config)


def matmul_runtime_precision(compiled: ov.CompiledModel) -> str:
    """What the CPU plugin really computes the MatMul in (its runtime model's "runtimePrecision"), e.g. f32, bf16, u8."""
    for op in compiled.get_runtime_model().get_ops():
        info = op.get_rt_info()
        if "originalLayersNames" in info and MATMUL in info["originalLayersNames"].astype(str).split(","):
            return info["runtimePrecision"].astype(str)
    raise PeakError("OpenVINO's runtime model has no MatMul to read the precision of")


def check_precision(compiled: ov.CompiledModel, precision: str) -> None:
    """Refuse to report a peak for a precision the plugin did not compute in (an int8 MatMul run in f32, say)."""
    found = matmul_runtime_precision(compiled)
    if found not in RUNS_IN[precision]:
        raise PeakError(f"OpenVINO ran the {precision} MatMul in {found}, not {'/'.join(sorted(RUNS_IN[precision]))}: "
                        f"no {precision} peak is reported")


def sustained_gflops(compiled: ov.CompiledModel, seconds: float) -> float:
    """Every infer request kept busy for WARMUP_S, then for `seconds`; the best of WINDOWS windows' GFLOP/s.

    No Python callback (one on a queue can deadlock OpenVINO 2026.4's teardown): once the queue is full, each
    start_async returns when a request has finished, so its return times are the completion times. A window
    runs from one completion to the one a multiple of `requests` later (the same request's, round after round),
    so streams finishing in step cannot inflate it, as counting completions in a fixed time slice would."""
    requests = int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
    queue = ov.AsyncInferQueue(compiled, requests)
    data = np.random.default_rng(1).uniform(0, 2.5, (M, K)).astype(np.float32)
    for request in queue:
        request.set_input_tensor(ov.Tensor(data))
    for _ in range(requests):
        queue.start_async()
    warm = time.perf_counter() + WARMUP_S
    while time.perf_counter() < warm:
        queue.start_async()  # blocks until a request is free
    ends = warm + seconds
    completed = [time.perf_counter()]
    while completed[-1] < ends or len(completed) <= requests * WINDOWS:
        queue.start_async()
        completed.append(time.perf_counter())
    queue.wait_all()
    span = (len(completed) - 1) // (requests * WINDOWS) * requests  # completions per window
    return max(span * FLOPS / (completed[i + span] - completed[i]) for i in range(0, span * WINDOWS, span)) / 1e9


def measure(precision: str, seconds: float, streams: int) -> tuple[float, dict[str, int]]:
    """(GFLOP/s, how it ran) for one precision; PeakError if OpenVINO would not compute in it."""
    compiled = compile_matmul(precision, streams)
    check_precision(compiled, precision)
    setup = {"streams": int(compiled.get_property("NUM_STREAMS")), "threads": int(compiled.get_property("INFERENCE_NUM_THREADS")),
             "requests": int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))}
    return sustained_gflops(compiled, seconds), setup


def main() -> int:
    seconds = float(json.loads(sys.stdin.read() or "{}").get("seconds", 3.0))
    peaks: dict[str, float] = {}
    notes, setup = [], {"streams": physical_cores(), "threads": physical_cores(), "requests": 0}
    for precision in supported_precisions(cpu_flags()):
        try:
            gflops, setup = measure(precision, seconds, physical_cores())
            if precision != "fp32" and gflops < peaks.get("fp32", 0) / 2:
                # Native bf16 or int8 is never slower than fp32: this one is emulated (a capped ISA, say).
                raise PeakError(f"ran at {gflops:.0f} GFLOP/s, under half the fp32 peak: emulated, not a peak")
            peaks[precision] = round(gflops, 1)
        except (PeakError, RuntimeError) as error:  # RuntimeError: OpenVINO could not compile it here
            notes.append(f"{precision} not measured ({(str(error).strip().splitlines() or ['?'])[-1][:300]})")
    measured = ", ".join(f"{name} (FakeQuantize)" if name == "int8" else name for name in peaks) or "no precision"
    threads = setup["threads"] // max(1, setup["streams"])
    method = (f"OpenVINO {ov.get_version().split('-')[0]} CPU MatMul {M}x{N}x{K} in {measured}, {setup['streams']} streams "
              f"x {threads} thread(s), {setup['requests']} infer requests busy, best of {WINDOWS} windows over {seconds:g} s")
    print(json.dumps({"peak_gflops": peaks, "method": "; ".join([method, *notes]),
                      "versions": versions("openvino", "numpy")}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
