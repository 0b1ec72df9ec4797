"""INT8 for TensorRT: NVIDIA ModelOpt's post-training quantization of the FP32 ONNX graph into explicit
QuantizeLinear/DequantizeLinear (Q/DQ) pairs, which a strongly typed TensorRT 11 network builds as INT8 layers.
What is not quantized is FP16 (HIGH_PRECISION). Also the negative control that takes the Q/DQ pairs out again.

Runs on the CPU; imports onnx and modelopt only when called.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from shared.jobs.vocabulary import CALIBRATIONS
from shared.measurement.pipeline import BenchmarkError
from shared.ml.calibration import random_batches

HIGH_PRECISION = "fp16"  # what ModelOpt leaves unquantized runs in: an engine without enough INT8 layers is this
# "max" takes each activation's largest value on the calibration data as its range: deterministic and quick. The
# default ("entropy") histograms every tensor and did not bring a ViT with random weights closer to FP32 (measured).
CALIBRATION_METHOD = "max"


def calibration_providers() -> list[str]:
    """onnxruntime's execution providers for calibration, the GPU first where there is one (the CPU always works)."""
    import torch

    return ["cuda:0", "cpu"] if torch.cuda.is_available() else ["cpu"]


def quantize_int8(fp32_path: Path, input_shape: tuple[int, ...], calibration: str, images: int, path: Path) -> Path:
    """The FP32 graph with Q/DQ pairs at every convolution and matrix multiplication ModelOpt quantizes, weights and
    activations calibrated on `images` inputs of the `calibration` kind; the rest converted to FP16."""
    if calibration not in CALIBRATIONS:
        raise BenchmarkError(f"calibration {calibration!r} is not known; use one of {', '.join(CALIBRATIONS)}")
    from modelopt.onnx.quantization import quantize

    try:
        quantize(str(fp32_path), quantize_mode="int8", calibration_data=random_batches(input_shape, images),
                 calibration_method=CALIBRATION_METHOD, calibration_eps=calibration_providers(), output_path=str(path),
                 high_precision_dtype=HIGH_PRECISION, log_level="WARNING")
    except Exception as error:  # noqa: BLE001  (ModelOpt's message names the node or operator it could not handle)
        raise BenchmarkError(f"ModelOpt could not quantize the model to INT8: {str(error).strip()[:500]}; "
                             "try precision fp16, or another model") from error
    return path


def strip_qdq(path: Path, out: Path) -> Path:
    """Negative control: the same graph with every Q/DQ pair removed, so the INT8 check must fail on coverage.

    Each DequantizeLinear's consumers read what its QuantizeLinear read; a DequantizeLinear of a quantized
    initializer becomes that initializer dequantized (in the scale's type, which is what the consumer expects)."""
    import onnx

    model = onnx.load(str(path))
    graph = model.graph
    producers = {output: node for node in graph.node for output in node.output}
    initializers = {tensor.name: tensor for tensor in graph.initializer}
    renames: dict[str, str] = {}  # a removed node's output -> what its consumers read instead
    removed: set[str] = set()  # the removed nodes, by their (unique) first output
    for node in [n for n in graph.node if n.op_type == "DequantizeLinear"]:
        source = producers.get(node.input[0])
        if source is not None and source.op_type == "QuantizeLinear":
            renames[node.output[0]] = renames[source.output[0]] = source.input[0]
            removed |= {node.output[0], source.output[0]}
        elif node.input[0] in initializers:
            graph.initializer.append(dequantized(node, initializers))  # named as the node's output: nothing to rename
            removed.add(node.output[0])
    kept = [n for n in graph.node if n.output[0] not in removed]
    del graph.node[:]
    graph.node.extend(kept)
    for node in graph.node:
        for index, name in enumerate(node.input):
            node.input[index] = resolved(name, renames)
    for output in graph.output:
        if resolved(output.name, renames) != output.name:
            graph.node.append(onnx.helper.make_node("Identity", [resolved(output.name, renames)], [output.name]))
    drop_unused_initializers(graph)
    onnx.save(model, str(out))
    return out


def resolved(name: str, renames: dict[str, str]) -> str:
    """Where `name` reads from once the Q/DQ pairs are gone (a DQ may read a Q that reads another DQ)."""
    while renames.get(name, name) != name:
        name = renames[name]
    return name


def dequantized(node: Any, initializers: dict[str, Any]) -> Any:
    """(x - zero_point) * scale of a DequantizeLinear whose inputs are all initializers, as an initializer named
    like the node's output; per-axis scales are broadcast along the node's axis (default 1)."""
    from onnx import helper, numpy_helper

    values = numpy_helper.to_array(initializers[node.input[0]]).astype(np.float64)
    scale = numpy_helper.to_array(initializers[node.input[1]])
    zero = numpy_helper.to_array(initializers[node.input[2]]).astype(np.float64) if len(node.input) > 2 and node.input[2] \
        else np.zeros_like(scale, dtype=np.float64)
    if scale.ndim == 1 and scale.size > 1:
        axis = next((helper.get_attribute_value(a) for a in node.attribute if a.name == "axis"), 1) % values.ndim
        shape = [1] * values.ndim
        shape[axis] = scale.size
        scale, zero = scale.reshape(shape), zero.reshape(shape)
    result = ((values - zero) * scale.astype(np.float64)).astype(scale.dtype)
    return numpy_helper.from_array(result, node.output[0])


def drop_unused_initializers(graph: Any) -> None:
    used = {name for node in graph.node for name in node.input} | {output.name for output in graph.output}
    kept = [tensor for tensor in graph.initializer if tensor.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
