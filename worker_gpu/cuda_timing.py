"""One way to time batches on a GPU, for every GPU engine: CUDA events recorded on the stream around each
batch, a few batches queued ahead so the GPU never waits for Python. On the CPU (tests), the wall clock.

Imports only torch.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

import torch

IN_FLIGHT = 2  # batches queued on the GPU ahead of the one whose end is awaited

Completed = Callable[[float, float], None]


def run_timed(step: Callable[[], None], device: torch.device, keep_going: Callable[[], bool], completed: Completed,
              stream: torch.cuda.Stream | None = None) -> None:
    """Call `step()` (which enqueues one batch) while `keep_going()`; report (end time, latency in s) per batch."""
    if device.type != "cuda":
        while keep_going():
            started = time.perf_counter()
            step()
            ended = time.perf_counter()
            completed(ended, ended - started)
        return
    stream = stream or torch.cuda.current_stream(device)
    pending: deque[tuple[torch.cuda.Event, torch.cuda.Event]] = deque()
    while keep_going():
        begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        begin.record(stream)
        step()
        end.record(stream)
        pending.append((begin, end))
        if len(pending) > IN_FLIGHT:
            _report(pending.popleft(), completed)
    while pending:
        _report(pending.popleft(), completed)


def _report(events: tuple[torch.cuda.Event, torch.cuda.Event], completed: Completed) -> None:
    begin, end = events
    end.synchronize()
    completed(time.perf_counter(), begin.elapsed_time(end) / 1000)


class OutOfMemoryExplained:
    """Turns CUDA running out of memory into an error that says what to change."""

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _tb: object) -> bool:
        if kind is not None and issubclass(kind, torch.cuda.OutOfMemoryError):
            from shared.measurement.pipeline import BenchmarkError

            raise BenchmarkError(out_of_memory_message(self.batch_size)) from error
        return False


def out_of_memory_message(batch_size: int) -> str:
    return (f"out of GPU memory at batch size {batch_size}; try a smaller batch, "
            f"e.g. batch_size {max(1, batch_size // 2)}")
