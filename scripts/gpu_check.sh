#!/usr/bin/env bash
# The GPU check, as one prepared command for a lent GPU machine that has torch, timm, onnx and onnxruntime
# but nothing else of ours (no TensorRT there): the torch engine against a plain PyTorch loop at batch 256
# FP16 on resnet50, levit_256 and convnext_small, the CUDA-graph gain, and TensorRT if it imports.
# Under 4 minutes on an H200.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
"$PYTHON" -c 'import torch, timm; print("torch", torch.__version__, "| CUDA", torch.version.cuda, "| timm", timm.__version__)'
timeout 220 "$PYTHON" benchmarks/gpu_torch_vs_loop.py "$@"
