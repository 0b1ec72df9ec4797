"""The GPU worker: TensorRT and PyTorch CUDA benchmarks, taken from the `gpu` queue, its own and its hardware's.

Its engine and timing modules import with only torch and timm installed (no web, database or broker
library), so the same code measures on a bare GPU machine.
"""
