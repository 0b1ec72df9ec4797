"""One benchmark at a time per machine, across every worker process on it: two would corrupt both timings."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def host_lock(path: Path, still_wanted: Callable[[], bool], poll_s: float = 1.0) -> Iterator[bool]:
    """Hold the host-wide lock; yields False if `still_wanted()` turned False while waiting for it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Read-only is enough for flock, and works whoever created the file; nobody needs to write it (0o644, not 0o666).
    with os.fdopen(os.open(path, os.O_RDONLY | os.O_CREAT, 0o644), "rb") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not still_wanted():
                    yield False
                    return
                time.sleep(poll_s)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
