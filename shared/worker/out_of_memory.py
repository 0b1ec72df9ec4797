"""A benchmark that ran out of memory, in words: which limit it hit, the setting behind it, and what would fit.

Such a job fails at once and is not retried: run again, it would run out again. What would fit is an estimate: what
the job held beyond a fixed part (the libraries and what they reserve, the weights) is taken to grow with
batch × input_size² × streams (inputs, activations, the engine's buffers), and is scaled down to fit the limit with
a fifth to spare. It counts double: the process was stopped on its way up (killed by the watchdog, or refused an
allocation), so what it held is less than it needed. The batch suggested is at most half the one that failed and
never more than the inputs in flight and the weights alone allow (shared.jobs.memory).
"""

from __future__ import annotations

import math
import re

from shared.catalog.registry import lookup
from shared.jobs.memory import Need, largest_batch, need
from shared.measurement.pipeline import BenchSpec
from shared.worker.memory_watch import Limit

# How running out of memory reads: Python's MemoryError (numpy's "Unable to allocate"), C++'s std::bad_alloc, the
# errno ENOMEM ("Cannot allocate memory", torch's "can't allocate memory"), OpenVINO's "Failed to allocate", a library
# that could not be mapped, and our own processes' "ran out of memory". Not CUDA's OutOfMemoryError: GPU engines
# explain their device's memory themselves.
SIGNS = re.compile(r"\bMemoryError\b|ran out of memory|bad_alloc|cannot allocate memory|can't allocate memory|"
                   r"unable to allocate|failed to allocate|failed to map segment", re.IGNORECASE)
SPARE = 0.8  # of the limit, for what the estimate misses
STILL_GROWING = 2.0  # what the process held when stopped, to what it would have needed
SIZE_STEP = 32


def is_out_of_memory(message: str) -> bool:
    return SIGNS.search(message) is not None


def ran_out(spec: BenchSpec, limit: Limit, stage: str, message: str) -> str:
    """A failure whose message says an allocation failed, said again with the limit it hit and what would fit."""
    return (f"{spec.model} ran out of memory while {stage} ({_line_of(message)}), at {_limit(limit)}: "
            f"{what_fits(spec, limit, used_gb=limit.gb)}")


def over_rss(spec: BenchSpec, limit: Limit, held_gb: float) -> str:
    """The watchdog killed the benchmark: what it held, its limit, what would fit."""
    return (f"{spec.model} held {held_gb:.1f} GB resident, over {_limit(limit)}, and the worker stopped it: "
            f"{what_fits(spec, limit, used_gb=held_gb)}")


def what_fits(spec: BenchSpec, limit: Limit, used_gb: float) -> str:
    """The batch, input size or streams that should fit `limit`, having used `used_gb` as `spec` asked."""
    info = lookup(spec.base_model or spec.model)
    needed = need(spec.batch_size, spec.input_size, spec.streams, info.params_m if info else None)
    room = SPARE * limit.gb - limit.fixed_gb - needed.weights_mb / 1024  # for what grows with batch × size² × streams
    share = max(0.0, room / (STILL_GROWING * max(used_gb - limit.fixed_gb - needed.weights_mb / 1024, 1e-3)))
    options = [option for option in (_batch(spec, needed, room, share), _input_size(spec, needed, room, share),
                                     _streams(spec, share)) if option]
    asked = f"it ran batch_size {spec.batch_size}, input_size {spec.input_size} and streams {spec.streams}"
    raise_it = f"raise {limit.setting}" if limit.setting else "run it on a machine with more memory"
    if not options:
        return f"{asked}, and no smaller batch, input size or streams would fit; {raise_it}"
    return f"{asked}; {_either(options)} would likely fit; or {raise_it}"


def _batch(spec: BenchSpec, needed: Need, room_gb: float, share: float) -> str | None:
    """At most half the batch, and no more than the inputs in flight and the weights alone allow."""
    with_weights = room_gb + needed.weights_mb / 1024  # largest_batch counts the weights itself
    batch = min(_power_of_two_at_most(spec.batch_size * share), spec.batch_size // 2,
                largest_batch(needed, with_weights) if with_weights > 0 else 0)
    return (f"batch_size {batch}" + " or less" * (batch > 1)) if batch >= 1 else None


def _input_size(spec: BenchSpec, needed: Need, room_gb: float, share: float) -> str | None:
    per_pixel_gb = needed.input_mb / 1024 / spec.input_size**2  # of the inputs in flight
    size = min(spec.input_size * math.sqrt(share), math.sqrt(max(room_gb, 0) / per_pixel_gb))
    size = int(size // SIZE_STEP * SIZE_STEP)
    return f"input_size {size} or less" if SIZE_STEP <= size < spec.input_size else None


def _streams(spec: BenchSpec, share: float) -> str | None:
    """A CPU job holds a batch per stream; a GPU job runs one stream."""
    streams = min(int(spec.streams * share), spec.streams - 1)
    return (f"streams {streams}" + " or fewer" * (streams > 1)) if spec.backend == "cpu" and streams >= 1 else None


def _either(options: list[str]) -> str:
    if len(options) == 1:
        return options[0]
    return ", ".join(options[:-1]) + (", or " if len(options) > 2 else " or ") + options[-1]


def _limit(limit: Limit) -> str:
    return f"{limit.what} {limit.gb:g} GB" + (f" ({limit.setting})" if limit.setting else "")


def _line_of(message: str) -> str:
    """The line of `message` that says memory ran out, without advice of its own (after a semicolon), shortened."""
    lines = [line.strip() for line in message.splitlines() if SIGNS.search(line)] or message.strip().splitlines()
    return (lines[0].split(";")[0] if lines else "no detail")[:200]


def _power_of_two_at_most(value: float) -> int:
    return 2 ** int(math.log2(value)) if value >= 1 else 0
