"""Child processes that never outlive their parent: a benchmark, a conversion, a test's server."""

from __future__ import annotations

import ctypes
import signal

_LIBC = ctypes.CDLL("libc.so.6", use_errno=True)  # loaded here: nothing may be loaded between fork and exec


def die_with_parent() -> None:
    """`preexec_fn` for subprocess: the kernel kills the child when its parent dies (an orphaned benchmark or
    conversion would skew the next job's timings)."""
    _LIBC.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
