"""`make run`'s supervisor for real: API over HTTP, a local worker, restart on death, clean stop."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from shared.measurement.children import die_with_parent
from tests.conftest import REPO, Stack
from tests.e2e.processes import alive, free_port, pids_of_tree, wait_until

pytestmark = pytest.mark.e2e


def celery_pid(supervisor: int) -> int | None:
    for pid in pids_of_tree(supervisor) - {supervisor}:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if Path(f"/proc/{pid}/cmdline").exists() else []
        if b"celery" in cmdline and alive(pid):
            return pid
    return None


def test_supervisor_serves_runs_restarts_and_stops(embedded_stack: Stack, tmp_path: Path) -> None:
    port = free_port()
    log = open(tmp_path / "supervisor.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "shared.commands.supervisor", "run", "--port", str(port)], cwd=REPO,
                               env=embedded_stack.process_env(), stdout=log, stderr=subprocess.STDOUT,
                               preexec_fn=die_with_parent)
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    try:
        def up() -> bool:
            try:
                return api.get("/health").status_code == 200
            except httpx.TransportError:
                return False

        wait_until(up, 60, "the API to answer")
        job = api.post("/jobs", json={"model": "test_resnet", "backend": "cpu", "duration_s": 1}).json()

        def finished() -> dict[str, object] | None:
            body = api.get(f"/jobs/{job['id']}").json()
            return body if body["status"] in ("succeeded", "failed") else None

        done = wait_until(finished, 120, "the job to finish", every=0.5)
        assert done["status"] == "succeeded", done
        assert api.get("/results", params={"backend": "cpu"}).json()["total"] == 1

        first_worker = wait_until(lambda: celery_pid(process.pid), 10, "the worker process")
        subprocess.run(["kill", "-9", str(first_worker)], check=True)
        restarted = wait_until(lambda: (pid := celery_pid(process.pid)) not in (None, first_worker) and pid, 30,
                               "the supervisor to restart the worker")
        second = api.post("/jobs", json={"model": "test_resnet", "backend": "cpu", "duration_s": 1}).json()
        wait_until(lambda: api.get(f"/jobs/{second['id']}").json()["status"] == "succeeded", 120,
                   "a job on the restarted worker")

        # The worker keeps its name across restarts, so jobs that name it still find it.
        assert [w["name"] for w in api.get("/workers").json()["items"]] == [f"cpu@{socket.gethostname()}"]
        tree = pids_of_tree(process.pid)
        assert restarted in tree and len(tree) >= 3  # supervisor, API, worker
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        wait_until(lambda: not any(alive(pid) for pid in tree), 10, "every process it started to stop")
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
        api.close()
    text = (tmp_path / "supervisor.log").read_text()
    assert "cpu worker died (signal SIGKILL); restarting" in text
