"""Whether a job can fit a machine's memory, judged before it is queued (API) and again before it builds (worker).

The estimate is what a job surely holds: its inputs in flight (one batch per stream on a CPU, one batch on a GPU) and
its weights, in fp32 as the model is built. Activations and workspace come on top, so a job refused here could never
have run, and one accepted may still run out (the worker then fails it with the reason).
"""

from __future__ import annotations

from dataclasses import dataclass

BYTES_PER_VALUE = 4  # fp32
MB = 2**20


@dataclass(frozen=True)
class Need:
    """What a job surely holds, in MB."""

    in_flight: int  # batches held at once
    batch_size: int
    input_size: int
    input_mb: float
    weights_mb: float

    @property
    def total_mb(self) -> float:
        return self.input_mb + self.weights_mb


def need(batch_size: int, input_size: int, in_flight: int, params_m: float | None) -> Need:
    input_mb = in_flight * batch_size * 3 * input_size**2 * BYTES_PER_VALUE / MB
    return Need(in_flight, batch_size, input_size, input_mb, (params_m or 0.0) * 1e6 * BYTES_PER_VALUE / MB)


def too_big(needed: Need, memory_gb: float | None, machine: str) -> str | None:
    """Why the job cannot fit `memory_gb` (the `machine` named in the sentence), or None when it may."""
    if not memory_gb:
        return None
    memory_mb = memory_gb * 1024
    if needed.total_mb <= memory_mb:
        return None
    return (f"its inputs in flight ({needed.in_flight} × batch {needed.batch_size} × 3 × {needed.input_size}² fp32, "
            f"{needed.input_mb:,.0f} MB) and weights ({needed.weights_mb:,.0f} MB) alone exceed the "
            f"{memory_mb:,.0f} MB of {machine}")


def largest_batch(needed: Need, memory_gb: float) -> int:
    """The largest power-of-two batch whose inputs and weights fit `memory_gb` (0 when even batch 1 does not)."""
    per_image_mb = needed.input_mb / (needed.in_flight * needed.batch_size)
    room = memory_gb * 1024 - needed.weights_mb
    batch = 1
    while (batch * 2) * needed.in_flight * per_image_mb <= room:
        batch *= 2
    return batch if needed.in_flight * per_image_mb <= room else 0
