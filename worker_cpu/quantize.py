"""INT8 post-training quantization of an OpenVINO IR with NNCF, calibrated on random inputs.

Runs in the conversion process (worker_cpu.convert), never in the benchmark process. NNCF inserts FakeQuantize
nodes whose ranges it reads from the calibration inputs; the CPU plugin then runs the quantized convolutions and
matrix multiplications in int8 (u8 activations, i8 weights: VNNI or AMX where the CPU has them).

Random calibration gives the same graph, and so the same speed, as real images would (the ranges differ, the
kernels do not), but it says nothing about accuracy: a result records `calibration: "random"` and the chart marks
its accuracy unverified.
"""

from __future__ import annotations

import time
from typing import Any

import nncf
import numpy as np
import openvino as ov

from shared.jobs.vocabulary import CALIBRATION_IMAGES
from shared.ml.calibration import random_batches


def calibration_inputs(input_shape: tuple[int, ...], images: int = CALIBRATION_IMAGES) -> list[np.ndarray]:
    """The random calibration set (shared.ml.calibration) as NNCF takes it: one item per batch of the IR's shape."""
    batches = random_batches(input_shape, images)
    return [batches[start:start + input_shape[0]] for start in range(0, len(batches), input_shape[0])]


ATTENTION_OPS = frozenset({"Softmax", "ScaledDotProductAttention"})


def has_attention(model: ov.Model) -> bool:
    """Attention in the network: a fused ScaledDotProductAttention (timm's F.scaled_dot_product_attention) or a
    Softmax (timm classifiers end in logits, so a softmax is attention's). NNCF's transformer model type then keeps
    what transformers lose accuracy on quantized (softmax, layer norms' inputs) in floating point."""
    return any(op.get_type_name() in ATTENTION_OPS for op in model.get_ops())


def quantize(model: ov.Model, calibration: str, input_shape: tuple[int, ...]) -> tuple[ov.Model, dict[str, Any]]:
    """The INT8 model and how it was made (for the cache metadata and the result's engine details). `calibration` is
    "random" (shared.measurement.pipeline.check_spec refuses any other before the conversion starts)."""
    started = time.perf_counter()
    batches = calibration_inputs(input_shape)
    transformer = has_attention(model)
    quantized = nncf.quantize(model, nncf.Dataset(batches), subset_size=len(batches),
                              model_type=nncf.ModelType.TRANSFORMER if transformer else None)
    return quantized, {"quantize_s": round(time.perf_counter() - started, 2), "calibration": calibration,
                       "calibration_images": len(batches) * input_shape[0], "quantizer": f"nncf {nncf.__version__}",
                       "model_type": "transformer" if transformer else "default"}
