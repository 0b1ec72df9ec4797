"""The inputs an int8 engine's activation ranges are calibrated on, for both engines (NNCF on the CPU, ModelOpt for
TensorRT). Numpy only."""

from __future__ import annotations

import numpy as np


def random_batches(input_shape: tuple[int, ...], images: int) -> np.ndarray:
    """The "random" calibration set: `images` standard-normal inputs (the normalised range of real ones), rounded up
    to whole batches of the graph's static batch: shape (batches × batch, channels, height, width). Random inputs time
    the same as real images (the quantized graph is the same) but say nothing of accuracy. Always the same numbers,
    so one model gives one quantized graph."""
    batch = input_shape[0]
    count = -(-images // batch) * batch
    return np.random.default_rng(0).standard_normal((count, *input_shape[1:]), dtype=np.float32)
