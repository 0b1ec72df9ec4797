"""Real worker and server processes for end-to-end tests, and ways to wait on and kill them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from shared.commands.supervisor import worker_argv
from shared.db.engine import session_scope
from shared.db.tables import Job, Result
from shared.jobs.lifecycle import get_job
from shared.jobs.presence import live_workers
from shared.measurement.children import die_with_parent
from tests.conftest import REPO, Stack


def wait_until(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class WorkerProcess:
    """`celery -A worker_<backend>.tasks worker` exactly as `make worker` runs it, logging to a file."""

    def __init__(self, stack: Stack, log_dir: Path, backend: str = "cpu", env: dict[str, str] | None = None) -> None:
        self.name = f"{backend}-test-{uuid.uuid4().hex[:6]}@localhost"
        self.log_path = log_dir / f"{self.name}.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(worker_argv(backend, self.name), cwd=REPO, env=stack.process_env() | (env or {}),
                                        stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
                                        process_group=0)  # a group of its own, as on a terminal: see interrupt()

    def wait_ready(self, timeout: float = 60) -> WorkerProcess:
        def announced() -> bool:
            assert self.process.poll() is None, f"worker exited early:\n{self.tail()}"
            with session_scope() as session:
                return any(w.name == self.name for w in live_workers(session))

        wait_until(announced, timeout, f"worker {self.name} to announce itself")
        return self

    def benchmark_pid(self) -> int | None:
        """The benchmark process the worker runs now, if any."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = children.read_text().split() if children.exists() else []
        return int(pids[0]) if pids else None

    def interrupt(self) -> None:
        """Ctrl-C as a terminal sends it: SIGINT to every process of the worker's group."""
        os.killpg(self.process.pid, signal.SIGINT)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()

    def tail(self, lines: int = 60) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text().splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ApiProcess:
    """The API under uvicorn on a free local port, as `make run` serves it."""

    def __init__(self, stack: Stack, log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log_dir / "api.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=REPO, env=stack.process_env(), stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
                                        process_group=0)  # a group of its own, as on a terminal: see interrupt()

    def wait_ready(self, timeout: float = 60) -> ApiProcess:
        def up() -> bool:
            assert self.process.poll() is None, f"the API exited early:\n{Path(self.log.name).read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2):
                    return True
            except OSError:
                return False

        wait_until(up, timeout, "the API to answer /health")
        return self

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it has not ended within 20 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def job_state(job_id: str) -> Job:
    with session_scope() as session:
        return get_job(session, job_id)


def wait_for_status(job_id: str, statuses: tuple[str, ...], timeout: float, worker: WorkerProcess | None = None) -> Job:
    try:
        return wait_until(lambda: (job := job_state(job_id)).status in statuses and job, timeout,
                          f"job {job_id} to become {'/'.join(statuses)}")
    except AssertionError as error:
        log = worker.tail() if worker else ""
        raise AssertionError(f"{error}; job is {job_state(job_id).model_dump()}\n{log}") from None


def wait_for_stage(job_id: str, stage: str, timeout: float) -> Job:
    return wait_until(lambda: (job := job_state(job_id)).stage == stage and job.status == "running" and job,
                      timeout, f"job {job_id} to reach {stage}")


def result_rows(job_id: str) -> list[Result]:
    with session_scope() as session:
        return list(session.exec(select(Result).where(col(Result.job_id) == job_id)))


def pids_of_tree(pid: int) -> set[int]:
    found = {pid}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = task / "children"
        if children.exists():
            for child in children.read_text().split():
                found |= pids_of_tree(int(child))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")
