"""`make run`, `make worker` and `make worker-gpu`: start the API and/or workers, restart what dies, stop all on Ctrl-C.

    python -m shared.commands.supervisor run                   # API on $HOST:$PORT plus one local CPU worker
    python -m shared.commands.supervisor worker                # a CPU worker alone, against BROKER_URL and DATABASE_URL
    python -m shared.commands.supervisor worker --backend gpu  # one GPU worker per GPU, each pinned to its device
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from shared.db.engine import migrate, session_scope
from shared.jobs.broker import shown_broker
from shared.jobs.presence import live_workers
from shared.jobs.vocabulary import BACKENDS
from shared.measurement.hardware import query_gpus
from shared.settings import get_settings

log = logging.getLogger("speedboard.supervisor")

MAX_BACKOFF_S = 30.0
HEALTHY_AFTER_S = 60.0
STOP_GRACE_S = 15.0


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    backoff: float = 1.0
    restart_at: float = field(default=0.0)

    def start(self) -> None:
        log.info("starting %s: %s", self.name, " ".join(self.argv))
        self.process = subprocess.Popen(self.argv, env=self.env)
        self.started = time.monotonic()

    def check(self, now: float) -> None:
        """Restart the process if it died, backing off when it keeps dying."""
        if self.process is None:
            if now >= self.restart_at:
                self.start()
            return
        code = self.process.poll()
        if code is None:
            if now - self.started > HEALTHY_AFTER_S:
                self.backoff = 1.0
            return
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        log.warning("%s died (%s); restarting in %.0f s", self.name, how, self.backoff)
        self.process, self.restart_at = None, now + self.backoff
        self.backoff = min(MAX_BACKOFF_S, self.backoff * 2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)


def connected_workers() -> frozenset[str]:
    with session_scope() as session:
        return frozenset(worker.name for worker in live_workers(session))


def worker_name(prefix: str, taken: frozenset[str] = frozenset()) -> str:
    """`cpu@host`, `gpu0@host`: the same after every restart, so jobs and suites can name it. A second worker
    of the same kind on this host, started while the first is connected, gets `cpu-2@host`, and so on."""
    host = socket.gethostname()
    return next(name for n in range(1, 1000) if (name := f"{prefix}{f'-{n}' if n > 1 else ''}@{host}") not in taken)


def worker_argv(backend: str, name: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", f"worker_{backend}.tasks", "worker", "-Q", backend,
            "--pool", "solo", "--concurrency", "1", "-n", name, "--loglevel", "INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat"]


def gpu_workers(taken: frozenset[str] = frozenset()) -> list[Child]:
    """One GPU worker per GPU, each seeing only its own (CUDA_VISIBLE_DEVICES), so two benchmarks never share one.

    A GPU is named by its UUID: CUDA numbers GPUs fastest first, nvidia-smi by PCI bus, so on a machine with
    mixed GPUs an index could pin one GPU while nvidia-smi describes another."""
    if get_settings().gpu_device == "cpu":
        return [Child("gpu worker (on the CPU)", worker_argv("gpu", worker_name("gpu", taken)))]
    try:
        gpus = [(gpu["index"], gpu["uuid"]) for gpu in query_gpus(("index", "uuid"))]
    except RuntimeError as error:
        raise SystemExit(str(error)) from error
    lock = get_settings().host_lock_path
    # Each GPU is its own device: its own lock, so the workers of several GPUs measure at the same time.
    return [Child(f"gpu worker {index}", worker_argv("gpu", worker_name(f"gpu{index}", taken)),
                  env=os.environ | {"CUDA_VISIBLE_DEVICES": uuid, "CUDA_DEVICE_ORDER": "PCI_BUS_ID",
                                    "SPEEDBOARD_HOST_LOCK_PATH": f"{lock}.gpu{index}"})
            for index, uuid in gpus]


def api_argv(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "api.main:app", "--host", host, "--port", str(port)]


def supervise(children: list[Child]) -> int:
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    while not stopping:
        for child in children:
            child.check(time.monotonic())
        time.sleep(0.5)
    log.info("stopping %s", ", ".join(c.name for c in children))
    for child in children:
        child.stop()
    deadline = time.monotonic() + STOP_GRACE_S
    for child in children:
        if child.process is None:
            continue
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()
    return 0


def shown_database(url: str) -> str:
    """The database URL as the log shows it: its password masked (`***`)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # not a URL, or a port that is not a number
        return f"{url.partition('://')[0]}:// (the rest not shown: it does not parse as a URL)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["run", "worker"])
    parser.add_argument("--backend", choices=BACKENDS, default="cpu", help="worker mode: which worker to start")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s supervisor %(levelname)s %(message)s")
    settings = get_settings()
    log.info("database: %s | broker: %s", shown_database(settings.db_url), shown_broker(settings))
    migrate()
    taken = connected_workers()
    if args.mode == "worker" and args.backend == "gpu":
        children = gpu_workers(taken)
    else:
        name = worker_name("cpu", taken)
        children = [Child("cpu worker", worker_argv("cpu", name))]
        log.info("cpu worker %s (jobs and suites may name it as \"worker\")", name)
    if args.mode == "run":
        children.insert(0, Child("api", api_argv(args.host, args.port)))
        log.info("Speedboard on http://%s:%d  (docs: /docs)", args.host, args.port)
    return supervise(children)


if __name__ == "__main__":
    sys.exit(main())
