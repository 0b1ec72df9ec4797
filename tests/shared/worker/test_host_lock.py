"""One benchmark per machine: a second worker waits for the lock, or gives up when its job is cancelled."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from shared.worker.host_lock import host_lock
from tests.conftest import REPO

HOLDER = """
import sys, time
from pathlib import Path
from shared.worker.host_lock import host_lock
from tests.conftest import REPO
with host_lock(Path(sys.argv[1]), lambda: True):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_second_process_waits_until_the_first_releases(tmp_path: Path) -> None:
    lock = tmp_path / "host.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock), "1.5"], stdout=subprocess.PIPE, text=True,
                              cwd=REPO)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    polls: list[float] = []
    started = time.monotonic()
    with host_lock(lock, lambda: polls.append(time.monotonic()) or True, poll_s=0.1) as acquired:
        waited = time.monotonic() - started
    holder.wait(timeout=10)
    assert acquired and waited >= 1.0 and len(polls) >= 5


def test_waiting_stops_when_the_job_is_no_longer_wanted(tmp_path: Path) -> None:
    lock = tmp_path / "host.lock"
    release = threading.Event()
    held = threading.Event()

    def hold() -> None:
        with host_lock(lock, lambda: True):
            held.set()
            release.wait(10)

    threading.Thread(target=hold, daemon=True).start()
    held.wait(5)
    # flock locks belong to open files, so a second open in this process contends like another process would.
    with host_lock(lock, lambda: False, poll_s=0.05) as acquired:
        assert acquired is False
    release.set()
