"""The exact ONNX file a TensorRT engine is built from: the fused model at a static shape, exported in FP32,
then converted by NVIDIA ModelOpt: AutoCast with fixed thresholds for fp16 and bf16, post-training quantization
into explicit Q/DQ pairs for int8 (worker_gpu.onnx_quantize).

TensorRT 11 networks are strongly typed: the precision lives in this graph, not in a builder flag.
Runs on the CPU; imports onnx and modelopt only when called.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch

from shared.jobs.vocabulary import CALIBRATION_IMAGES, DEFAULT_CALIBRATION
from shared.measurement.pipeline import BenchmarkError
from worker_gpu.onnx_quantize import quantize_int8

OPSET = 17
# AutoCast keeps in FP32 the nodes whose outputs exceed DATA_MAX on its reference run and the initializers
# above INIT_MAX. Both are FP16's largest finite value: only what would overflow stays FP32. AutoCast's default
# DATA_MAX of 512 suits trained weights; on our random ones it kept two thirds of resnet50's weight bytes in
# FP32, which would have timed a mostly-FP32 engine as "fp16". Fixed, so one model always gives one graph.
DATA_MAX = 65504.0
INIT_MAX = 65504.0
INPUT, OUTPUT = "input", "logits"


def export_fp32(module: torch.nn.Module, input_shape: tuple[int, ...], path: Path) -> Path:
    """torch.onnx.export at a static shape (the job's batch size), weights in FP32."""
    example = torch.zeros(input_shape)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", torch.jit.TracerWarning)  # timm's shape checks, constant at a static shape
            torch.onnx.export(module.float().eval(), (example,), str(path), input_names=[INPUT], output_names=[OUTPUT],
                              opset_version=OPSET, dynamo=False, do_constant_folding=True)
    except Exception as error:  # noqa: BLE001  (the exporter's message names the unsupported operator)
        raise BenchmarkError(f"the model could not be exported to ONNX: {str(error).strip()[:500]}") from error
    return path


def autocast(fp32_path: Path, precision: str, path: Path) -> Path:
    """FP16 or BF16 graph from the FP32 one, inputs and outputs kept FP32 (as the engine's I/O buffers are)."""
    import onnx
    from modelopt.onnx.autocast import convert_to_mixed_precision

    np.random.seed(0)  # AutoCast's reference run feeds random inputs: the same ones every time
    converted = convert_to_mixed_precision(onnx_path=str(fp32_path), low_precision_type=precision, keep_io_types=True,
                                           data_max=DATA_MAX, init_max=INIT_MAX, providers=["cpu"])
    onnx.save(converted, str(path))
    return path


def export(module: torch.nn.Module, input_shape: tuple[int, ...], precision: str, folder: Path,
           calibration: str = DEFAULT_CALIBRATION, images: int = CALIBRATION_IMAGES) -> Path:
    """Write `model.onnx` in `folder` at `precision` (fp32, fp16, bf16 or int8); returns its path.

    int8 calibrates activation ranges on `images` inputs of the `calibration` kind ("random": normal noise, which
    times the same as real images but says nothing of accuracy); other precisions ignore both."""
    folder.mkdir(parents=True, exist_ok=True)
    fp32 = export_fp32(module, input_shape, folder / ("model.onnx" if precision == "fp32" else "model.fp32.onnx"))
    if precision == "fp32":
        return fp32
    if precision == "int8":
        return quantize_int8(fp32, input_shape, calibration, images, folder / "model.onnx")
    return autocast(fp32, precision, folder / "model.onnx")
