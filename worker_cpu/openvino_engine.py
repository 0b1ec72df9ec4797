"""OpenVINO on the CPU, as the seed study ran it: FP16 weights, throughput hint, one stream per core.

Precision `auto` (the default) compiles with no inference-precision hint, so the CPU plugin computes in its
native precision (bf16 with AMX or AVX512-BF16, f32 otherwise), as `benchmark_app` does by default;
fp32, fp16 and bf16 force the hint. `int8` compiles an IR quantized by NNCF (worker_cpu.quantize), with no hint:
what stays in floating point runs in the native precision. `precision_used` is read back from the compiled model
either way: for int8, from the precision each convolution and matrix multiplication runs in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import openvino as ov

from shared.jobs.vocabulary import CALIBRATION_IMAGES, MIN_INT8_LAYER_SHARE
from shared.measurement.cache import cache_key, cached
from shared.measurement.children import ChildFailed, run_module
from shared.measurement.hardware import cpu_hardware, versions
from shared.measurement.memory import size_mb
from shared.measurement.pipeline import BenchmarkError, BenchSpec, PreparedEngine, Report

PRECISION_HINTS = {"fp32": "f32", "fp16": "f16", "bf16": "bf16"}
PRECISIONS_READ_BACK = {"f32": "fp32", "f16": "fp16", "bf16": "bf16"}
# The runtime model's layers that quantization turns into int8 arithmetic, and the precisions they then run in.
WEIGHTED_LAYERS = frozenset({"Convolution", "GroupConvolution", "Deconvolution", "FullyConnected", "MatMul"})
INT8_RUNTIME = frozenset({"u8", "i8"})


class OpenVinoRunner:
    """Keeps every infer request busy; inputs are bound once per request, outside the timed loop.

    Holds the AsyncInferQueue only, never the CompiledModel: in OpenVINO 2026.4 freeing a CompiledModel
    whose queue has a Python callback can deadlock on the GIL. (The benchmark process is also killed
    once it has reported, so teardown can never hang a job.)
    """

    def __init__(self, compiled: ov.CompiledModel, requests: int, batch_size: int) -> None:
        self.batch_size, self.in_flight = batch_size, requests
        self.queue = ov.AsyncInferQueue(compiled, requests)
        shape = tuple(compiled.input(0).shape)
        rng = np.random.default_rng(0)
        for request in self.queue:
            request.set_input_tensor(ov.Tensor(rng.standard_normal(shape, dtype=np.float32)))

    def run(self, keep_going: Callable[[], bool], completed: Callable[[float, float], None]) -> None:
        def done(request: ov.InferRequest, _userdata: object) -> None:
            # OpenVINO's own per-request latency (as benchmark_app reports it): a clock taken before
            # start_async would also count the wait for a free request.
            completed(time.perf_counter(), request.latency / 1000)

        self.queue.set_callback(done)
        while keep_going():
            self.queue.start_async()  # blocks until a request is free
        self.queue.wait_all()


def convert(spec: BenchSpec, folder: Path) -> dict[str, Any]:
    """The IR of the fused torch model, written to `folder` by a process of its own (worker_cpu.convert); returns
    the cache metadata. That process dies with this one, and its failure is this job's, with its reason."""
    try:
        answer = run_module("worker_cpu.convert", spec.to_json(), str(folder))
    except ChildFailed as error:
        advice = "; try a smaller batch or input size" if "out of memory" in str(error) else ""
        raise BenchmarkError(f"converting {spec.model} to OpenVINO IR failed: {error}{advice}") from None
    if "error" in answer:
        raise BenchmarkError(answer["error"])
    return answer


def weights_format(precision: str) -> str:
    """How the IR stores its weights: FP32 for an fp32 job, quantized for int8, FP16-compressed for every other (the
    seed's IR)."""
    return {"fp32": "fp32", "int8": "int8"}.get(precision, "fp16")


def ir_key(spec: BenchSpec) -> str:
    """Keyed on the weights' format, not the precision asked: auto, fp16 and bf16 jobs share one converted model.
    A quantized IR also on its calibration and quantizer (float keys are unchanged by them)."""
    if spec.precision != "int8":
        return cache_key(spec, weights=weights_format(spec.precision), versions=versions("openvino", "torch", "timm"))
    return cache_key(spec, weights="int8", versions=versions("openvino", "torch", "timm", "nncf"),
                     calibration=spec.calibration, calibration_images=CALIBRATION_IMAGES)


def ir_path(spec: BenchSpec, report: Report) -> tuple[Path, dict[str, Any], bool]:
    key = ir_key(spec)

    def build(folder: Path) -> dict[str, Any]:
        report("converting", 0.0)
        return convert(spec, folder)

    folder, meta, hit = cached(spec.cache_dir / "openvino", key, build, max_gb=spec.cache_max_gb)
    return folder / "model.xml", meta, hit


def compile_config(precision: str, streams: int) -> dict[str, str]:
    """The CPU plugin's configuration: no precision hint for `auto` or `int8`, so the plugin picks its native one
    (for int8, for the layers left in floating point)."""
    config = {"PERFORMANCE_HINT": "THROUGHPUT", "NUM_STREAMS": str(streams)}
    if precision not in ("auto", "int8"):
        config["INFERENCE_PRECISION_HINT"] = PRECISION_HINTS[precision]
    return config


def compile_model(xml: Path, precision: str, streams: int) -> ov.CompiledModel:
    return ov.Core().compile_model(str(xml), "CPU", compile_config(precision, streams))


def precision_used(compiled: ov.CompiledModel) -> str:
    """What the CPU plugin really computes in: its own choice under `auto`; an explicit hint the CPU cannot
    honour falls back (fp16 needs AVX512-FP16 or AVX2-VNNI-2, else it runs bf16 or fp32)."""
    hint: ov.Type = compiled.get_property("INFERENCE_PRECISION_HINT")
    return PRECISIONS_READ_BACK[hint.get_type_name()]


def int8_layer_share(compiled: ov.CompiledModel) -> float:
    """The share of the runtime model's convolutions and matrix multiplications that run in int8 (their runtime
    precision is u8 or i8), as the CPU plugin compiled them."""
    precisions = [op.get_rt_info()["runtimePrecision"].astype(str) for op in compiled.get_runtime_model().get_ops()
                  if op.get_rt_info()["layerType"].astype(str) in WEIGHTED_LAYERS]
    return sum(p in INT8_RUNTIME for p in precisions) / len(precisions) if precisions else 0.0


def describe_precision(compiled: ov.CompiledModel, precision: str) -> tuple[str, dict[str, Any]]:
    """(precision_used, what hardware_detail says of it). int8 only when at least MIN_INT8_LAYER_SHARE of the
    weighted layers really run quantized; otherwise the floating-point precision the rest runs in."""
    floating = precision_used(compiled)
    if precision != "int8":
        return floating, {}
    share = int8_layer_share(compiled)
    used = "int8" if share >= MIN_INT8_LAYER_SHARE else floating
    return used, {"int8_layer_share": round(share, 3), "float_precision": floating}


def prepare(spec: BenchSpec, report: Report) -> PreparedEngine:
    xml, meta, hit = ir_path(spec, report)
    report("building engine", 0.0)  # compiling for the CPU plugin
    compiled = compile_model(xml, spec.precision, spec.streams)
    requests = int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
    hardware, detail = cpu_hardware()
    detail["device"] = ov.Core().get_property("CPU", "FULL_DEVICE_NAME")
    used, precision_detail = describe_precision(compiled, spec.precision)
    return PreparedEngine(
        runnable=OpenVinoRunner(compiled, requests, spec.batch_size),
        streams=int(compiled.get_property("NUM_STREAMS")),
        precision_used=used,
        cache_hit=hit,
        params_m=meta["params_m"],
        gflops=meta["gflops"],
        hardware=hardware,
        hardware_detail=detail | precision_detail,
        versions=versions("openvino", "torch", "timm", "numpy"),
        artifact_mb=size_mb(xml, xml.with_suffix(".bin")),
        details={
            "infer_requests": requests,
            "threads": int(compiled.get_property("INFERENCE_NUM_THREADS")),
            "ir": xml.relative_to(spec.cache_dir).as_posix(),  # under the cache: a result names no folder of the worker
            "convert_s": meta["convert_s"],
        } | ({"quantization": meta["quantization"]} if meta.get("quantization") else {}),
    )
