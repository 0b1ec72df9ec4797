"""The benchmark process a worker starts for each job: spec as JSON on stdin, events as JSON lines on stdout.

A process of its own so that a crash, an out-of-memory kill or a hung engine takes down only this
job, the worker sees exactly how it died, and CUDA is only ever initialised here.
SIGTERM asks it to stop: the measuring loop notices within a second. It runs in a session of its own
and ignores SIGINT: only its worker decides when it stops.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import traceback
from typing import Any

from shared.measurement.pipeline import BenchmarkError, BenchSpec, run_benchmark
from shared.measurement.timing import Cancelled

log = logging.getLogger("speedboard.benchmark")


def _emit(*event: Any) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def main() -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s benchmark %(levelname)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    spec = BenchSpec.from_json(sys.stdin.read())
    try:
        _emit("result", run_benchmark(spec, lambda stage, fraction: _emit("progress", stage, fraction), stop.is_set))
    except Cancelled:
        _emit("cancelled")
    except BenchmarkError as error:
        _emit("failed", str(error))
    except MemoryError as error:  # the worker says which limit was hit and what would fit (shared.worker.out_of_memory)
        _emit("failed", f"ran out of memory benchmarking {spec.model} at batch {spec.batch_size} "
                        f"({type(error).__name__}: {str(error)[:200] or 'no detail'}); try a smaller batch size or input size")
    except Exception as error:  # noqa: BLE001  (anything else still ends the job with a reason)
        traceback.print_exc()
        _emit("failed", f"{spec.model} failed with {type(error).__name__}: {str(error)[:500]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
