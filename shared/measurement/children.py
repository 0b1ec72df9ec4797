"""Child processes that never outlive their parent (a benchmark, a conversion, a peak measurement, a test's
server), how they ended, and the one JSON answer a helper process prints last."""

from __future__ import annotations

import ctypes
import json
import signal
import subprocess
import sys
from typing import Any

_LIBC = ctypes.CDLL("libc.so.6", use_errno=True)  # loaded here: nothing may be loaded between fork and exec


class ChildFailed(RuntimeError):
    """A helper process died, or ended without printing its answer; the message says how."""


def die_with_parent() -> None:
    """`preexec_fn` for subprocess: the kernel kills the child when its parent dies (an orphaned benchmark or
    conversion would skew the next job's timings)."""
    _LIBC.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def describe_exit(returncode: int, what: str = "the benchmark process") -> str:
    """How a process that gave no answer ended, in words: a SIGKILL is most likely the kernel's out-of-memory killer."""
    if returncode < 0:
        name = signal.Signals(-returncode).name
        likely = " (likely out of memory)" if name == "SIGKILL" else ""
        return f"{what} was killed by {name}{likely}"
    return f"{what} exited with code {returncode} before reporting a result"


def run_module(module: str, stdin: str, *args: str, timeout: float | None = None) -> dict[str, Any]:
    """Run `python -m module *args` with `stdin`, dying with this process, and return the JSON object it printed on
    its last line of output; raises ChildFailed (saying how it ended, with its last error line) otherwise."""
    done = subprocess.run([sys.executable, "-m", module, *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=die_with_parent)
    last_error = (done.stderr.strip().splitlines() or ["no error output"])[-1][:300]
    if done.returncode != 0:
        raise ChildFailed(f"{describe_exit(done.returncode, module)}: {last_error}")
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise ChildFailed(f"{module} printed no JSON line (its output ends {done.stdout.strip()[-200:]!r}; "
                          f"{last_error})") from None
    if not isinstance(answer, dict):
        raise ChildFailed(f"{module} printed {answer!r}, not a JSON object")
    return answer
