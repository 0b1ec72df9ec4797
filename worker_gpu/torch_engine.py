"""Plain PyTorch on CUDA: the fused model in FP16 (or as asked), channels-last, optionally replayed as a
CUDA graph. The comparison users ask for: what does TensorRT buy over PyTorch?

Imports only torch, timm and the shared pipeline (no web, database or broker library).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from shared.measurement.hardware import versions
from shared.measurement.pipeline import BenchmarkError, BenchSpec, PreparedEngine, Report, gpu_precision
from worker_gpu.cuda_timing import OutOfMemoryExplained, run_timed
from worker_gpu.devices import gpu_hardware

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
NAMES = {dtype: name for name, dtype in DTYPES.items()}


class TorchRunner:
    """Runs the model (or its CUDA graph) back to back, each batch timed on the GPU by CUDA events."""

    def __init__(self, module: torch.nn.Module, batch: torch.Tensor, graph: torch.cuda.CUDAGraph | None) -> None:
        self.module, self.batch, self.graph = module, batch, graph
        self.batch_size, self.in_flight = batch.shape[0], 1

    def step(self) -> None:
        if self.graph is not None:
            self.graph.replay()
        else:
            self.module(self.batch)

    def run(self, keep_going: Callable[[], bool], completed: Callable[[float, float], None]) -> None:
        with torch.inference_mode(), OutOfMemoryExplained(self.batch_size):
            run_timed(self.step, self.batch.device, keep_going, completed)


def capture_graph(module: torch.nn.Module, batch: torch.Tensor) -> torch.cuda.CUDAGraph:
    """Record one forward pass as a CUDA graph (after warm-up on a side stream, as capture requires)."""
    side = torch.cuda.Stream(batch.device)
    side.wait_stream(torch.cuda.current_stream(batch.device))
    with torch.cuda.stream(side):
        for _ in range(3):
            module(batch)
    torch.cuda.current_stream(batch.device).wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        module(batch)
    return graph


def load(spec: BenchSpec, device: torch.device) -> tuple[torch.nn.Module, torch.Tensor, Any]:
    """The fused model and a random input on `device`, in the job's precision and channels-last."""
    from shared.ml.prepare import prepare as prepare_model

    prepared = prepare_model(spec.base_model or spec.model, spec.input_size, spec.batch_size, spec.model_kwargs)
    dtype = DTYPES[gpu_precision(spec.precision)]
    with OutOfMemoryExplained(spec.batch_size):
        module = prepared.module.to(device=device, dtype=dtype, memory_format=torch.channels_last).eval()
        batch = torch.randn(prepared.input_shape, generator=torch.Generator().manual_seed(0)).to(
            device=device, dtype=dtype, memory_format=torch.channels_last)
    return module, batch, prepared


def cuda_detail(device: torch.device) -> dict[str, Any]:
    if device.type != "cuda":
        return {"device": str(device)}
    props = torch.cuda.get_device_properties(device)
    from worker_gpu.devices import driver_version

    detail = {"device": str(device), "gpu": props.name, "memory_gb": round(props.total_memory / 2**30, 1),
              "compute_capability": f"{props.major}.{props.minor}", "cuda": torch.version.cuda, "driver": driver_version()}
    return {key: value for key, value in detail.items() if value is not None}  # never hide what nvidia-smi said


def allocator_peak_mb(device: torch.device) -> float | None:
    """torch's caching allocator's peak since prepare; None off CUDA. Written for a GPU, not run on one here."""
    if device.type != "cuda":
        return None
    return round(torch.cuda.max_memory_allocated(device) / 2**20, 1)


def prepare(spec: BenchSpec, report: Report) -> PreparedEngine:
    device = torch.device(spec.device or "cuda")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise BenchmarkError("torch sees no CUDA device here; check the NVIDIA driver and that torch is a CUDA build")
    report("building engine", 0.0)
    module, batch, prepared = load(spec, device)
    graph = None
    with torch.inference_mode(), OutOfMemoryExplained(spec.batch_size):
        module(batch)  # a first pass: kernels chosen, memory allocated, an out-of-memory found here
        if spec.cuda_graphs and device.type == "cuda":
            graph = capture_graph(module, batch)
    hardware, detail = gpu_hardware()
    if device.type == "cuda":  # from here on the allocator's peak is what measuring takes: weights, input, activations
        torch.cuda.reset_peak_memory_stats(device)
    return PreparedEngine(
        runnable=TorchRunner(module, batch, graph), streams=1, precision_used=NAMES[batch.dtype], cache_hit=False,
        device_memory_mb=lambda: allocator_peak_mb(device),
        params_m=prepared.params_m, gflops=prepared.gflops, hardware=hardware, hardware_detail=detail | cuda_detail(device),
        versions=versions("torch", "timm", "torchvision"),
        details={"channels_last": True, "cuda_graphs": graph is not None},
    )
