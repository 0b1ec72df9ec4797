"""TensorRT 11 on the GPU, as the seed study ran it: the fused model exported to ONNX at the job's batch size,
in the job's precision (AutoCast: TensorRT 11 networks are strongly typed), built into an engine that is
cached on disk, run with execute_async_v3 on a torch CUDA stream, timed by CUDA events.

int8: the ONNX graph carries ModelOpt's explicit Q/DQ pairs (calibrated on the job's `calibration`), and the
same strongly typed build makes INT8 layers of them; the rest of the graph is FP16. The result says int8 only
when enough of the graph's convolutions and matmuls are behind Q/DQ (MIN_INT8_LAYER_SHARE).

Device buffers and the stream come from torch rather than pycuda: one CUDA context (the one torch creates),
and one fewer compiled dependency. NOT YET RUN ON A GPU: written to TensorRT 11's Python documentation;
everything around it (export, AutoCast, INT8 quantization, cache keys, error messages) is tested on the CPU.
The INT8 build is written, not runnable here: no GPU, no TensorRT on the machine it was written on.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from shared.jobs.vocabulary import CALIBRATION_IMAGES, MIN_INT8_LAYER_SHARE
from shared.measurement.cache import cache_key, cached
from shared.measurement.hardware import versions
from shared.measurement.memory import size_mb
from shared.measurement.pipeline import BenchmarkError, BenchSpec, PreparedEngine, Report, gpu_precision
from worker_gpu.cuda_timing import OutOfMemoryExplained, out_of_memory_message, run_timed
from worker_gpu.devices import gpu_hardware
from worker_gpu.onnx_quantize import CALIBRATION_METHOD, HIGH_PRECISION
from worker_gpu.torch_engine import cuda_detail

WORKSPACE_BYTES = 8 << 30  # bounded scratch memory for tactics; larger rarely helps at batch 256
OPTIMIZATION_LEVEL = 3  # TensorRT's default: levels 4-5 build much longer for little gain on CNNs


def engine_key(spec: BenchSpec, tensorrt_version: str, gpu: str, compute_capability: str) -> str:
    """Everything that changes an engine: model, input shape, batch, precision, TensorRT, GPU and its architecture;
    for int8 also what quantized it (calibration, its size and method, ModelOpt and onnx). Other precisions' keys are
    as before INT8 existed, so their engines stay cached."""
    precision = gpu_precision(spec.precision)
    quantized = {"calibration": spec.calibration, "calibration_images": CALIBRATION_IMAGES,
                 "calibration_method": CALIBRATION_METHOD, "quantizer": versions("nvidia-modelopt", "onnx")}
    return cache_key(spec, precision=precision, tensorrt=tensorrt_version, gpu=gpu, compute_capability=compute_capability,
                     **(quantized if precision == "int8" else {}))


def precision_used(precision: str, int8_layer_share: float | None) -> str:
    """int8 only when at least MIN_INT8_LAYER_SHARE of the convolutions and matmuls run quantized; otherwise
    mostly FP16 (what ModelOpt leaves unquantized), and the result says so."""
    if precision != "int8":
        return precision
    return "int8" if int8_layer_share is not None and int8_layer_share >= MIN_INT8_LAYER_SHARE else HIGH_PRECISION


def parser_errors(parser: Any) -> str:
    """The ONNX parser's complaints, naming the operator and node where it says them."""
    messages = []
    for index in range(parser.num_errors):
        error = parser.get_error(index)
        operator, node = error.node_operator(), error.node_name()
        where = f"operator {operator} (node {node}): " if operator else ""
        messages.append(f"{where}{error.desc()}")
    return "; ".join(messages) or "the ONNX parser gave no reason"


def unsupported_operator_message(details: str) -> str:
    return (f"TensorRT cannot build this model: {details}. The operator is not supported by TensorRT's ONNX parser; "
            "try the torch engine, or another model")


# TensorRT is imported only when an engine is built or run, so its callback classes are defined in these factories.
def build_deadline(limit_s: float) -> Any:
    """A progress monitor that cancels an engine build running past its time limit (TensorRT asks after each step)."""
    import tensorrt as trt

    class Monitor(trt.IProgressMonitor):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            trt.IProgressMonitor.__init__(self)
            self.deadline = time.monotonic() + limit_s
            self.expired = threading.Event()

        def phase_start(self, phase_name: str, parent_phase: str | None, num_steps: int) -> None:
            return None

        def step_complete(self, phase_name: str, step: int) -> bool:
            if time.monotonic() > self.deadline:
                self.expired.set()
                return False  # cancels the build
            return True

        def phase_finish(self, phase_name: str) -> None:
            return None

    return Monitor()


def collecting_logger() -> Any:
    """A TensorRT logger that keeps error messages, so a failed build can say why."""
    import tensorrt as trt

    class Logger(trt.ILogger):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            trt.ILogger.__init__(self)
            self.errors: list[str] = []

        def log(self, severity: Any, msg: str) -> None:
            if severity in (trt.ILogger.Severity.ERROR, trt.ILogger.Severity.INTERNAL_ERROR):
                self.errors.append(msg)

    return Logger()


def build_engine(onnx_path: Path, plan_path: Path, batch_size: int, limit_s: float) -> float:
    """Parse the ONNX file into a strongly typed network and build an engine; returns the build time in seconds."""
    import tensorrt as trt

    logger = collecting_logger()
    builder = trt.Builder(logger)
    network = builder.create_network(0)  # strongly typed: TensorRT 11 has no other kind
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        raise BenchmarkError(unsupported_operator_message(parser_errors(parser)))
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, WORKSPACE_BYTES)
    config.builder_optimization_level = OPTIMIZATION_LEVEL
    monitor = build_deadline(limit_s)
    config.progress_monitor = monitor
    started = time.perf_counter()
    serialized = builder.build_serialized_network(network, config)
    build_s = time.perf_counter() - started
    if serialized is None:
        if monitor.expired.is_set():
            raise BenchmarkError(f"building the TensorRT engine took longer than {limit_s:g} s "
                                 "(SPEEDBOARD_ENGINE_BUILD_LIMIT_S); try a smaller batch size or model")
        errors = " ".join(logger.errors)
        if "out of memory" in errors.lower() or "outofmemory" in errors.lower():
            raise BenchmarkError(out_of_memory_message(batch_size))
        raise BenchmarkError(f"TensorRT could not build an engine: {errors[:500] or 'no reason given'}")
    plan_path.write_bytes(bytes(serialized))
    return build_s


class TensorRTRunner:
    """Runs an execution context back to back on one torch CUDA stream; I/O buffers are torch tensors."""

    def __init__(self, engine: Any, batch_size: int, device: torch.device) -> None:
        import tensorrt as trt

        self.engine, self.batch_size, self.device, self.in_flight = engine, batch_size, device, 1
        self.context = engine.create_execution_context()
        if self.context is None:  # TensorRT could not allocate the context's activation memory
            raise BenchmarkError(out_of_memory_message(batch_size))
        self.stream = torch.cuda.Stream(device)
        self.buffers: dict[str, torch.Tensor] = {}
        for index in range(engine.num_io_tensors):
            name = engine.get_tensor_name(index)
            shape = tuple(engine.get_tensor_shape(name))
            dtype = TORCH_DTYPES[engine.get_tensor_dtype(name)]
            with OutOfMemoryExplained(batch_size):
                tensor = torch.randn(shape, device=device).to(dtype) if engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT \
                    else torch.empty(shape, dtype=dtype, device=device)
            self.buffers[name] = tensor
            self.context.set_tensor_address(name, tensor.data_ptr())
        torch.cuda.synchronize(device)  # the buffers were filled on torch's default stream; inference runs on ours

    def step(self) -> None:
        if not self.context.execute_async_v3(self.stream.cuda_stream):
            raise BenchmarkError("TensorRT failed to enqueue an inference (execute_async_v3 returned False)")

    def run(self, keep_going: Callable[[], bool], completed: Callable[[float, float], None]) -> None:
        run_timed(self.step, self.device, keep_going, completed, stream=self.stream)


def _torch_dtypes() -> dict[Any, torch.dtype]:
    try:
        import tensorrt as trt
    except ImportError:
        return {}
    return {trt.float32: torch.float32, trt.float16: torch.float16, trt.bfloat16: torch.bfloat16,
            trt.int32: torch.int32, trt.int64: torch.int64, trt.bool: torch.bool}


TORCH_DTYPES = _torch_dtypes()


def load_engine(plan: Path, batch_size: int) -> Any:
    """The engine in `plan`, or None when the file is missing or TensorRT cannot read it (it is built again);
    an engine that does not fit in the GPU's memory is an error that says what to change."""
    import tensorrt as trt

    if not plan.is_file():
        return None
    logger = collecting_logger()
    engine = trt.Runtime(logger).deserialize_cuda_engine(plan.read_bytes())
    if engine is None and any("memory" in message.lower() for message in logger.errors):
        raise BenchmarkError(out_of_memory_message(batch_size))
    return engine


def engine_memory_mb(runner: TensorRTRunner, folder: Path) -> float:
    """Device memory the engine takes to run: its execution context's activation memory (what TensorRT reports),
    its weights (the plan's size, which holds them) and the I/O buffers. Written for a GPU, not run on one here."""
    activations = int(runner.engine.device_memory_size_v2)
    buffers = sum(tensor.nbytes for tensor in runner.buffers.values())
    return round((activations + (folder / "engine.plan").stat().st_size + buffers) / 2**20, 1)


def prepare(spec: BenchSpec, report: Report) -> PreparedEngine:
    device = torch.device(spec.device or "cuda")
    if device.type != "cuda" or not torch.cuda.is_available():
        raise BenchmarkError("TensorRT needs a CUDA GPU; this worker has none (use engine torch to test without one)")
    try:
        import tensorrt as trt
    except ImportError as error:
        raise BenchmarkError("TensorRT is not installed on this worker: pip install 'speedboard[gpu]' "
                             "(or run engine torch)") from error
    props = torch.cuda.get_device_properties(device)
    capability = f"{props.major}.{props.minor}"
    key = engine_key(spec, trt.__version__, props.name, capability)
    root = spec.cache_dir / "tensorrt"

    precision = gpu_precision(spec.precision)

    def build(folder: Path) -> dict[str, Any]:
        from shared.ml.prepare import prepare as prepare_model
        from worker_gpu.onnx_check import qdq_share
        from worker_gpu.onnx_export import export

        report("converting", 0.0)
        model = prepare_model(spec.base_model or spec.model, spec.input_size, spec.batch_size, spec.model_kwargs)
        started = time.perf_counter()
        onnx_path = export(model.module, model.input_shape, precision, folder / "onnx", calibration=str(spec.calibration))
        onnx_s = time.perf_counter() - started
        # Read from the graph before it is removed: the Q/DQ pairs are what the strongly typed build makes INT8.
        share = qdq_share(onnx_path) if precision == "int8" else None
        report("building engine", 0.0)
        build_s = build_engine(onnx_path, folder / "engine.plan", spec.batch_size, spec.build_limit_s)
        shutil.rmtree(folder / "onnx")  # the engine is what is cached; the ONNX file is rebuilt on demand
        return {"params_m": model.params_m, "gflops": model.gflops, "onnx_s": onnx_s, "build_s": build_s,
                "engine_mb": round((folder / "engine.plan").stat().st_size / 2**20, 1), "int8_layer_share": share}

    folder, meta, hit = cached(root, key, build, max_gb=spec.cache_max_gb)
    engine = load_engine(folder / "engine.plan", spec.batch_size)
    if engine is None:  # written by another TensorRT build, damaged or missing: build it again
        shutil.rmtree(folder, ignore_errors=True)
        folder, meta, hit = cached(root, key, build, max_gb=spec.cache_max_gb)
        engine = load_engine(folder / "engine.plan", spec.batch_size)
        if engine is None:
            raise BenchmarkError("TensorRT built an engine it cannot load again; please report it with the worker's log")
    hardware, detail = gpu_hardware()
    runner = TensorRTRunner(engine, spec.batch_size, device)
    share = meta.get("int8_layer_share")
    quantized = {"int8_layer_share": round(share, 3)} if precision == "int8" and share is not None else {}
    return PreparedEngine(
        runnable=runner, streams=1, precision_used=precision_used(precision, share),
        artifact_mb=size_mb(folder / "engine.plan"), device_memory_mb=lambda: engine_memory_mb(runner, folder),
        cache_hit=hit, params_m=meta["params_m"], gflops=meta["gflops"], hardware=hardware,
        hardware_detail=detail | cuda_detail(device) | quantized,
        versions=versions("tensorrt", "torch", "timm", "nvidia-modelopt", "onnx") | {"tensorrt": trt.__version__},
        # The plan named under the cache: a result names no folder of the worker.
        details={"engine": (folder / "engine.plan").relative_to(spec.cache_dir).as_posix(), "build_s": meta["build_s"],
                 "onnx_s": meta["onnx_s"], "engine_mb": meta["engine_mb"], "workspace_gb": WORKSPACE_BYTES >> 30,
                 "optimization_level": OPTIMIZATION_LEVEL},
    )
