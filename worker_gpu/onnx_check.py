"""Proof, on any machine, that an ONNX file is the model at the precision asked: the share of nodes and of
weight bytes in that precision, and its output under onnxruntime (CPU) against the FP32 PyTorch model."""

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


def relative_difference(path: Path, reference: torch.nn.Module, batch: torch.Tensor) -> float:
    """max |onnxruntime(path)(batch) - reference(batch)| / max |reference(batch)|, on the CPU."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (output,) = session.run(None, {session.get_inputs()[0].name: batch.numpy()})
    with torch.no_grad():
        expected = reference.float()(batch).numpy()
    return float(np.abs(output.astype(np.float64) - expected).max() / max(np.abs(expected).max(), 1e-12))


def check(path: Path, precision: str, reference: torch.nn.Module, batch: torch.Tensor) -> CheckResult:
    node_share, weight_share = precision_shares(path, precision)
    try:
        difference = relative_difference(path, reference, batch)
    except Exception as error:  # noqa: BLE001  (e.g. onnxruntime's CPU provider has no BF16 convolution)
        reason = str(error).strip().splitlines()[0][:300]
        return CheckResult(precision, node_share, weight_share, None, f"onnxruntime on the CPU cannot run it ({reason})")
    return CheckResult(precision, node_share, weight_share, difference)
