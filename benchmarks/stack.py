"""Speedboard started as `make run` starts it, in a data folder of its own, for the benchmark scripts that measure
through the real stack; and the few HTTP helpers they share."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def call(url: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"content-type": "application/json"}, method="POST" if body else "GET")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Any, what: str, timeout_s: float, every_s: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(every_s)
    sys.exit(f"gave up waiting for {what} after {timeout_s:.0f} s")


@contextmanager
def running_stack(data_dir: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """The API and one CPU worker (SQLite, embedded broker) in `data_dir` (converted models are cached there, so a
    second run skips the conversions): yields the base URL and the worker once it has announced its peak."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = os.environ | {"SPEEDBOARD_DATA_DIR": str(data_dir), "HOST": "127.0.0.1", "PORT": str(port)}
    for name in ("DATABASE_URL", "BROKER_URL", "SPEEDBOARD_DATABASE_URL", "SPEEDBOARD_BROKER_URL"):
        env.pop(name, None)
    data_dir.mkdir(parents=True, exist_ok=True)
    # A plain `kill` must stop the stack too: without this, SIGTERM ends the script before `finally` runs and leaves
    # an API and a worker running on a database a later run deletes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    log = (data_dir / "stack.log").open("w")
    print(f"the stack's log: {data_dir / 'stack.log'}")
    stack = subprocess.Popen([sys.executable, "-m", "shared.commands.supervisor", "run"], cwd=REPO, env=env,
                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # Announced at once; its peak follows once measured (or read from the cache).
        workers = wait_for(lambda: [w for w in call(f"{base}/workers")["items"] if w["peak_method"]],
                           "a worker with its peak", 600, 2)
        yield base, workers[0]
    finally:
        os.killpg(stack.pid, signal.SIGINT)
        stack.wait(60)
