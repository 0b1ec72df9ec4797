"""Other processes on the host: an entry a live process uses is never evicted, a temp folder a live build writes is
never swept, and what a killed build left is swept when a worker starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

from shared.measurement.cache_sweep import evict, sweep_temp
from shared.worker.agent import Agent
from tests.conftest import REPO, Stack
from tests.shared.measurement.test_cache_eviction import entry, gb

# A benchmark process's use of the cache, stopped where the test says: building (until a line on stdin), then
# using the entry (until another line). It prints where it is as JSON lines.
USER = """
import json, sys
from pathlib import Path
from shared.measurement.cache import cached

def build(folder):
    (folder / "model.bin").write_bytes(b"x" * 1000)
    print(json.dumps(["building", str(folder)]), flush=True)
    sys.stdin.readline()
    return {"built": True}

folder, meta, hit = cached(Path(sys.argv[1]), sys.argv[2], build)
print(json.dumps(["using", str(folder), hit]), flush=True)
sys.stdin.readline()
"""


@contextmanager
def user(root: Path, key: str) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen([sys.executable, "-c", USER, str(root), key], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def said(process: subprocess.Popen[str]) -> list[object]:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, "the cache user exited early"
    return json.loads(line)


def go_on(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    process.stdin.write("\n")
    process.stdin.flush()


def test_an_entry_another_process_uses_is_not_evicted_until_it_exits(tmp_path: Path) -> None:
    used = entry(tmp_path, "openvino", "used", used=1000)
    newest = entry(tmp_path, "openvino", "newest", used=2000)
    with user(tmp_path / "openvino", "used") as process:
        assert said(process) == ["using", str(used), True]
        # Using it stamped it as just used: back to the oldest, so that only the lock can keep it.
        os.utime(used / ".lock", (1000, 1000))
        assert evict(tmp_path, gb(10)) == [] and used.exists()
        go_on(process)
        process.wait(timeout=30)
    assert evict(tmp_path, gb(10)) == [used] and newest.exists()


def test_the_sweep_keeps_a_live_build_and_removes_what_a_killed_one_left(tmp_path: Path) -> None:
    root = tmp_path / "openvino"
    root.mkdir()
    (root / ".old-abc123").mkdir()  # left before builds locked their temp folder: nobody's
    (root / ".old-abc123" / "model.bin").write_bytes(b"x")
    with user(root, "live") as live, user(root, "killed") as killed:
        live_tmp, killed_tmp = said(live), said(killed)
        assert live_tmp[0] == killed_tmp[0] == "building"
        killed.kill()
        killed.wait(timeout=30)
        assert set(sweep_temp(tmp_path)) == {root / ".old-abc123", Path(str(killed_tmp[1]))}
        assert Path(str(live_tmp[1])).is_dir() and not Path(str(killed_tmp[1])).exists()
        go_on(live)  # the live build finishes into its entry, untouched
        assert said(live) == ["using", str(root / "live"), False]
    assert json.loads((root / "live" / "meta.json").read_text()) == {"built": True}
    assert sorted(path.name for path in root.iterdir()) == ["live"]


def test_a_worker_start_sweeps_the_cache_folder(embedded_stack: Stack) -> None:
    abandoned = embedded_stack.data_dir / "cache" / "openvino" / ".key-abc123"
    abandoned.mkdir(parents=True)
    (abandoned / "model.bin").write_bytes(b"x")
    peaks = embedded_stack.data_dir / "cache" / "peaks" / ".figures-1"  # looks like a temp folder: never swept
    peaks.mkdir(parents=True)
    agent = Agent("cpu", lambda: ("Test CPU", {}), "worker_cpu.peak", dict)
    agent.measure_peaks = lambda: None  # type: ignore[method-assign]  (not this test's subject)
    agent.on_ready(SimpleNamespace(hostname="cache-sweep@test"))
    agent.on_shutdown()
    assert not abandoned.exists() and peaks.is_dir()
