"""Proof, on any machine, that an ONNX file is the model at the precision asked: the share of nodes and of
weight bytes in that precision (int8: of convolutions and matmuls behind Q/DQ pairs), and its output under
onnxruntime (CPU) against the FP32 PyTorch model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

# Largest acceptable max |onnx - torch| / max |torch| over the output: FP32 differs by rounding only;
# FP16 and BF16 carry 11 and 8 bits of mantissa through every layer.
TOLERANCE = {"fp32": 1e-4, "fp16": 1e-2, "bf16": 5e-2}
# The share of weight bytes a graph must hold in the asked precision ("nearly all": AutoCast may keep
# a few initializers, e.g. position embeddings or huge values, in FP32).
MIN_WEIGHT_SHARE = {"fp32": 1.0, "fp16": 0.9, "bf16": 0.9}

# INT8 (explicit Q/DQ). TensorRT runs a convolution or matmul in INT8 when both of its operands (activation and
# weight, or the two activations of an attention matmul) come out of a DequantizeLinear; the graph must have
# "nearly all" of them so. ModelOpt leaves out matrix-vector products (the classifier at batch 1) and matmuls with a
# dimension under 16, which gain nothing in INT8 on TensorRT. Measured: every one in test_efficientnet, test_vit
# (attention matmuls included) and levit_128s at batch 2; at batch 1 all but the classifier: resnet50 53 of 54
# (98.1%), test_vit 37 of 38 (97.4%).
QUANTIZED_OPS = ("Conv", "ConvTranspose", "MatMul", "Gemm")
MIN_QDQ_SHARE = 0.9
# The lowest cosine similarity, over the batch, between the INT8 graph's logits and FP32 PyTorch's. Not the max or L2
# difference: on random weights INT8 rounding shrinks activations a few percent per layer (post-ReLU values round
# to zero), so resnet50's logits come out 0.4x as large, in the right direction (L2 error 0.57, cosine 0.995).
# Measured: resnet50 0.995, test_efficientnet 0.997, levit_128s 0.990, test_vit 1.000 (with scaled_tokens); half
# of one layer4 convolution's weights negated gives 0.93 and another seed's weights ~0.0, which fail.
MIN_INT8_COSINE = 0.97


@dataclass
class CheckResult:
    precision: str
    node_share: float
    weight_share: float
    relative_difference: float | None  # None: onnxruntime could not run the graph (the reason is in `unchecked`)
    unchecked: str | None = None

    @property
    def passed(self) -> bool:
        return (self.weight_share >= MIN_WEIGHT_SHARE[self.precision] and self.relative_difference is not None
                and self.relative_difference <= TOLERANCE[self.precision])

    def line(self) -> str:
        verdict = "PASS" if self.passed else "UNCHECKED" if self.relative_difference is None else "FAIL"
        difference = (f"max |onnx - torch fp32| / max |torch| = {self.relative_difference:.2e} "
                      f"(tolerance {TOLERANCE[self.precision]:.0e})" if self.relative_difference is not None
                      else f"not compared: {self.unchecked}")
        return (f"{verdict} {self.precision}: {self.node_share:.1%} of nodes and {self.weight_share:.1%} of weight bytes in "
                f"{self.precision} (need >= {MIN_WEIGHT_SHARE[self.precision]:.0%}); {difference}")


@dataclass
class Int8CheckResult:
    qdq_share: float  # of convolutions and matmuls
    cosine: float | None  # None: onnxruntime could not run the graph (the reason is in `unchecked`)
    unchecked: str | None = None
    precision: str = "int8"

    @property
    def passed(self) -> bool:
        return self.qdq_share >= MIN_QDQ_SHARE and self.cosine is not None and self.cosine >= MIN_INT8_COSINE

    def line(self) -> str:
        verdict = "PASS" if self.passed else "UNCHECKED" if self.cosine is None else "FAIL"
        difference = (f"lowest cosine similarity of onnx and torch fp32 logits = {self.cosine:.4f} "
                      f"(tolerance >= {MIN_INT8_COSINE})" if self.cosine is not None else f"not compared: {self.unchecked}")
        return (f"{verdict} int8: {self.qdq_share:.1%} of convolutions and matmuls behind Q/DQ "
                f"(need >= {MIN_QDQ_SHARE:.0%}); {difference}")


def precision_shares(path: Path, precision: str) -> tuple[float, float]:
    """(share of compute nodes whose float output is in `precision`, share of float weight bytes in it)."""
    import onnx
    from onnx import TensorProto

    wanted = {"fp32": TensorProto.FLOAT, "fp16": TensorProto.FLOAT16, "bf16": TensorProto.BFLOAT16}[precision]
    floats = {TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.DOUBLE}
    model = onnx.shape_inference.infer_shapes(onnx.load(str(path)))
    graph = model.graph
    types = {v.name: v.type.tensor_type.elem_type for v in [*graph.value_info, *graph.output, *graph.input]}
    types |= {t.name: t.data_type for t in graph.initializer}
    computed = [n for n in graph.node if n.op_type not in ("Cast", "Constant") and types.get(n.output[0]) in floats]
    node_share = sum(types[n.output[0]] == wanted for n in computed) / max(len(computed), 1)
    sizes = {TensorProto.FLOAT: 4, TensorProto.FLOAT16: 2, TensorProto.BFLOAT16: 2, TensorProto.DOUBLE: 8}
    weight_bytes = {t.name: int(np.prod(t.dims)) * sizes[t.data_type] for t in graph.initializer if t.data_type in floats}
    in_precision = sum(size for name, size in weight_bytes.items() if types[name] == wanted)
    return node_share, in_precision / max(sum(weight_bytes.values()), 1)


def qdq_share(path: Path) -> float:
    """The share of the graph's convolutions and matmuls (QUANTIZED_OPS) whose two operands both come out of a
    DequantizeLinear: the layers a strongly typed TensorRT network runs in INT8. 0.0 for a graph with none."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    dequantized = {output for node in graph.node if node.op_type == "DequantizeLinear" for output in node.output}
    layers = [node for node in graph.node if node.op_type in QUANTIZED_OPS]
    quantized = [node for node in layers if all(name in dequantized for name in node.input[:2])]
    return len(quantized) / max(len(layers), 1)


def outputs(path: Path, reference: torch.nn.Module, batch: torch.Tensor,
            optimized: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(onnxruntime(path)(batch) on the CPU, reference(batch) in FP32), both in float64.

    `optimized=False` runs each node as written: Q/DQ pairs then round in float, as the graph says, instead of being
    fused into onnxruntime's own INT8 CPU kernels, whose results are not TensorRT's (levit_128s: cosine 0.13 fused,
    0.99 unfused)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: FP16 graphs warn about every node the CPU cannot constant-fold
    if not optimized:
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    (output,) = session.run(None, {session.get_inputs()[0].name: batch.numpy()})
    with torch.no_grad():
        expected = reference.float()(batch).numpy()
    return output.astype(np.float64), expected.astype(np.float64)


def relative_difference(path: Path, reference: torch.nn.Module, batch: torch.Tensor) -> float:
    """max |onnxruntime(path)(batch) - reference(batch)| / max |reference(batch)|, on the CPU."""
    output, expected = outputs(path, reference, batch)
    return float(np.abs(output - expected).max() / max(np.abs(expected).max(), 1e-12))


def lowest_cosine(path: Path, reference: torch.nn.Module, batch: torch.Tensor) -> float:
    """The lowest cosine similarity, over the batch, of onnxruntime(path)(batch) (Q/DQ run as written) and
    reference(batch)."""
    output, expected = outputs(path, reference, batch, optimized=False)
    output, expected = output.reshape(len(output), -1), expected.reshape(len(expected), -1)
    norms = np.maximum(np.linalg.norm(output, axis=1) * np.linalg.norm(expected, axis=1), 1e-30)
    return float(((output * expected).sum(axis=1) / norms).min())


def scaled_tokens(module: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Give learned tokens (a ViT's class token, ...) unit scale, as training does; for the INT8 check only.

    timm initialises them at std 1e-6. INT8 shares one scale across a tensor, so such a token next to image tokens
    of unit size rounds to zero, and the head reads that token alone: test_vit's INT8 logits then point elsewhere
    (cosine 0.78; 1.00 with this). A property of untrained weights, like fresh batch-norm statistics, not of the graph."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in module.named_parameters():
            if name.endswith("token"):
                parameter.copy_(torch.randn(parameter.shape, generator=generator))
    return module


def check(path: Path, precision: str, reference: torch.nn.Module, batch: torch.Tensor) -> CheckResult | Int8CheckResult:
    if precision == "int8":
        return check_int8(path, reference, batch)
    node_share, weight_share = precision_shares(path, precision)
    try:
        difference = relative_difference(path, reference, batch)
    except Exception as error:  # noqa: BLE001  (e.g. onnxruntime's CPU provider has no BF16 convolution)
        reason = str(error).strip().splitlines()[0][:300]
        return CheckResult(precision, node_share, weight_share, None, f"onnxruntime on the CPU cannot run it ({reason})")
    return CheckResult(precision, node_share, weight_share, difference)


def check_int8(path: Path, reference: torch.nn.Module, batch: torch.Tensor) -> Int8CheckResult:
    share = qdq_share(path)
    try:
        cosine = lowest_cosine(path, reference, batch)
    except Exception as error:  # noqa: BLE001  (an operator onnxruntime's CPU provider lacks)
        reason = str(error).strip().splitlines()[0][:300]
        return Int8CheckResult(share, None, f"onnxruntime on the CPU cannot run it ({reason})")
    return Int8CheckResult(share, cosine)
