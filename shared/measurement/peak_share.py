"""How much of its machine's matrix-multiply peak a result reached: the one number that compares a model's speed
across machines and precisions fairly (a worker measures its peak per precision at start: shared.worker.peaks)."""

from __future__ import annotations

from collections.abc import Mapping


def peak_share(gflops_per_image: float, throughput: float, precision_used: str,
               peaks: Mapping[str, float]) -> tuple[float, float | None]:
    """(achieved GFLOP/s, achieved / the peak measured in `precision_used`, or None when that precision has none).

    Against the peak of the precision the engine really computed in, not the one asked for: a bf16 run is
    measured against the bf16 peak even when fp16 was requested."""
    achieved = gflops_per_image * throughput
    peak = peaks.get(precision_used)
    return achieved, (achieved / peak if peak else None)
