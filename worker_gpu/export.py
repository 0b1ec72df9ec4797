"""Write the ONNX file a TensorRT engine is built from, and optionally check it against PyTorch.

    python -m worker_gpu.export --model resnet50 --batch-size 4 [--precision fp16] [--out DIR] --check
    python -m worker_gpu.export --model resnet50 --batch-size 1 --precision int8 --check [--strip-qdq]

With --check: batch-norm statistics are randomised first (fresh ones would hide a forgotten scale or
shift), the file runs under onnxruntime on the CPU against the FP32 PyTorch model, and one line says
the share of nodes and weight bytes in the asked precision and the relative difference. Exits 0 only
when both are within the stated limits.

int8: ModelOpt quantizes the FP32 graph into Q/DQ pairs, calibrated on random inputs (CALIBRATION_IMAGES);
the line says the share of convolutions and matmuls behind Q/DQ and the lowest cosine similarity of the
logits on the first calibration batch (learned tokens get unit scale first: see onnx_check.scaled_tokens).
--strip-qdq is the negative control: the Q/DQ pairs are removed again before checking, and the check
must then fail.
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch

from shared.jobs.vocabulary import AUTO_PRECISION_ON_GPU, CALIBRATION_IMAGES, DEFAULT_PRECISION, PRECISIONS, RANGES
from shared.measurement.pipeline import BenchmarkError, gpu_precision
from shared.ml.calibration import random_batches
from shared.ml.fusion import randomize_batchnorms
from shared.ml.prepare import create, fuse
from worker_gpu.onnx_check import check, scaled_tokens
from worker_gpu.onnx_export import export
from worker_gpu.onnx_quantize import strip_qdq


def build(model: str, batch_size: int, input_size: int | None, precision: str, out: Path,
          check_it: bool, temporary: bool, strip: bool = False) -> int:
    if input_size is None:
        input_size = create(model, 224).pretrained_cfg.get("input_size", (3, 224, 224))[-1]
    reference = create(model, input_size)
    if check_it:
        randomize_batchnorms(reference)
        if precision == "int8":
            scaled_tokens(reference)
    shape = (batch_size, 3, input_size, input_size)
    fused = fuse(copy.deepcopy(reference), model, input_size)
    path = export(fused, shape, precision, out)
    kept = " (temporary, removed on exit: --out DIR keeps it)" if temporary else ""
    print(f"wrote {path} ({model}, input {list(shape)}, {precision}){kept}")
    if strip:
        path = strip_qdq(path, out / "model.stripped.onnx")
        print(f"wrote {path}: the same graph without its Q/DQ pairs (negative control: the check must fail)")
    if not check_it:
        return 0
    result = check(path, precision, reference, check_batch(shape, precision))
    print(result.line())
    return 0 if result.passed else 1


def check_batch(shape: tuple[int, ...], precision: str) -> torch.Tensor:
    """int8: the first calibration batch (its ranges were calibrated on it); otherwise fresh normal noise."""
    if precision == "int8":
        return torch.from_numpy(random_batches(shape, CALIBRATION_IMAGES)[: shape[0]].copy())
    return torch.randn(shape, generator=torch.Generator().manual_seed(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m worker_gpu.export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="a timm architecture, e.g. resnet50")
    parser.add_argument("--batch-size", type=ranged("batch_size"), required=True, help="1-4096")
    parser.add_argument("--input-size", type=ranged("input_size"), help="32-1024; default: the model's own")
    parser.add_argument("--precision", choices=PRECISIONS, default=DEFAULT_PRECISION,
                        help=f"as a job asks it; auto is {AUTO_PRECISION_ON_GPU} on the GPU engines")
    parser.add_argument("--out", type=Path, help="folder for model.onnx (default: a temporary folder, removed)")
    parser.add_argument("--check", action="store_true", help="compare with FP32 PyTorch under onnxruntime")
    parser.add_argument("--strip-qdq", action="store_true",
                        help="negative control: remove every Q/DQ pair from the INT8 graph before checking; "
                             "the check must then FAIL (with --precision int8)")
    args = parser.parse_args(argv)
    args.precision = gpu_precision(args.precision)
    if args.strip_qdq and args.precision != "int8":
        parser.error("--strip-qdq removes the Q/DQ pairs of an INT8 graph: use it with --precision int8")
    try:
        if args.out is not None:
            return build(args.model, args.batch_size, args.input_size, args.precision, args.out, args.check,
                         temporary=False, strip=args.strip_qdq)
        with tempfile.TemporaryDirectory(prefix="speedboard-onnx-") as folder:
            return build(args.model, args.batch_size, args.input_size, args.precision, Path(folder), args.check,
                         temporary=True, strip=args.strip_qdq)
    except (BenchmarkError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def ranged(name: str) -> Callable[[str], int]:
    low, high = RANGES[name]

    def parse(text: str) -> int:
        if not text.isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number from {low} to {high}, as for jobs (got {text!r})")
        return int(text)

    return parse


if __name__ == "__main__":
    sys.exit(main())
