"""Yardstick for the GPU worker's torch engine: Speedboard's runner and timing loop against a plain hand-written
PyTorch loop on the same model and input (CUDA events around N batches), interleaved; then the CUDA-graph gain,
and TensorRT where it is installed.

    python benchmarks/gpu_torch_vs_loop.py                     # resnet50, levit_256, convnext_small at batch 256 FP16
    python benchmarks/gpu_torch_vs_loop.py --device cpu --models test_resnet --batch-size 2 --precision fp32 \\
        --duration 1 --rounds 1                                # a smoke run without a GPU

Needs only torch and timm (what a bare GPU machine has). Goal: ratio >= 0.98.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.jobs.vocabulary import RAN_PRECISIONS  # noqa: E402
from shared.measurement.pipeline import BenchSpec, run_benchmark  # noqa: E402
from shared.measurement.timing import measure  # noqa: E402
from worker_gpu.torch_engine import TorchRunner, capture_graph, load  # noqa: E402


def plain_loop(module: torch.nn.Module, batch: torch.Tensor, seconds: float) -> float:
    """Images/s of `module(batch)` back to back: warm-up, then CUDA events around as many batches as fit."""
    cuda = batch.device.type == "cuda"
    with torch.inference_mode():
        for _ in range(10):
            module(batch)
        if cuda:
            torch.cuda.synchronize(batch.device)
        started = time.perf_counter()
        count = 0
        while time.perf_counter() - started < 0.5:  # how many batches fill `seconds`
            module(batch)
            count += 1
        if cuda:
            torch.cuda.synchronize(batch.device)
        per_batch = (time.perf_counter() - started) / count
        n = max(10, int(seconds / per_batch))
        if cuda:
            begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            begin.record()
            for _ in range(n):
                module(batch)
            end.record()
            end.synchronize()
            elapsed = begin.elapsed_time(end) / 1000
        else:
            started = time.perf_counter()
            for _ in range(n):
                module(batch)
            elapsed = time.perf_counter() - started
    return n * batch.shape[0] / elapsed


def speedboard(runner: TorchRunner, seconds: float) -> float:
    return measure(runner, seconds, lambda *_: None, lambda: False).throughput


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="resnet50,levit_256,convnext_small")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--precision", default="fp16", choices=RAN_PRECISIONS)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds measured per run")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda":
        print(f"{torch.cuda.get_device_name(device)} | torch {torch.__version__} | CUDA {torch.version.cuda}")
    for name in args.models.split(","):
        from timm import create_model

        input_size = create_model(name, pretrained=False).pretrained_cfg["input_size"][-1]
        spec = BenchSpec(model=name, pretrained_tag=None, backend="gpu", engine="torch", precision=args.precision,
                         batch_size=args.batch_size, streams=1, input_size=input_size, duration_s=args.duration,
                         cache_dir=Path("/tmp/speedboard-gpu-check"), device=args.device)
        module, batch, _ = load(spec, device)
        runner = TorchRunner(module, batch, None)
        ratios, ours, theirs = [], [], []
        for _ in range(args.rounds):  # interleaved, so drifting clocks and temperature hit both alike
            ours.append(speedboard(runner, args.duration))
            theirs.append(plain_loop(module, batch, args.duration))
            ratios.append(ours[-1] / theirs[-1])
        line = (f"{name:16s} bs {args.batch_size} {args.precision}: speedboard {statistics.median(ours):9.1f} img/s, "
                f"plain loop {statistics.median(theirs):9.1f} img/s, ratio {statistics.median(ratios):.3f} "
                f"(rounds {', '.join(f'{r:.3f}' for r in ratios)})")
        if device.type == "cuda":
            with torch.inference_mode():
                graphed = TorchRunner(module, batch, capture_graph(module, batch))
            line += f"; CUDA graphs {speedboard(graphed, args.duration) / statistics.median(ours):.3f}x"
        print(line, flush=True)
        if importlib.util.find_spec("tensorrt") is not None and device.type == "cuda":
            trt = run_benchmark(replace(spec, engine="tensorrt"), lambda *_: None, lambda: False)["run"]
            print(f"{'':16s} TensorRT {trt['throughput']:9.1f} img/s "
                  f"({trt['throughput'] / statistics.median(ours):.2f}x the torch engine)", flush=True)
        del module, batch, runner
        if device.type == "cuda":
            torch.cuda.empty_cache()
    if importlib.util.find_spec("tensorrt") is None:
        print("TensorRT: not installed here, so its path was not run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
