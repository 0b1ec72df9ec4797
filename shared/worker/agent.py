"""What every Celery worker does besides running tasks: migrate, announce itself, heartbeat, reap."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import cached_property
from typing import Any

from celery import Celery, signals

from shared.db.engine import migrate, session_scope
from shared.db.tables import Worker
from shared.jobs.presence import announce, depart
from shared.jobs.queues import queues_of
from shared.jobs.reaper import start_reaper
from shared.measurement.cache_sweep import tidy as tidy_cache
from shared.measurement.hardware import host
from shared.settings import get_settings
from shared.worker import runner
from shared.worker.peaks import machine_peaks

log = logging.getLogger("speedboard.worker")


class Agent:
    def __init__(self, backend: str, describe_hardware: Callable[[], tuple[str, Any]], peak_module: str,
                 peak_key: Callable[[], dict[str, str]]) -> None:
        self.backend, self.describe_hardware = backend, describe_hardware
        self.peak_module, self.peak_key = peak_module, peak_key
        self.name = ""
        self.job_id: str | None = None
        self.peaks: dict[str, Any] = {}
        self.stop = threading.Event()

    @cached_property
    def described(self) -> tuple[str, dict[str, Any]]:
        """The machine does not change under a running worker: described once, not at every heartbeat."""
        label, detail = self.describe_hardware()
        return str(label), dict(detail)

    @property
    def hardware(self) -> str:
        return self.described[0]

    def beat(self) -> None:
        if self.stop.is_set():  # departed: a last beat from a job that just ended must not bring the row back to life
            return
        worker = Worker(
            name=self.name, backend=self.backend, hardware=self.hardware, host=host(),
            state="busy" if self.job_id else "idle", job_id=self.job_id,
            queues=queues_of(self.backend, self.name, self.hardware),
            peak_gflops=self.peaks.get("peak_gflops", {}), peak_method=self.peaks.get("method"),
            physical_cores=self.described[1].get("physical_cores"), memory_gb=self.described[1].get("memory_gb"),
        )
        with session_scope() as session:
            announce(session, worker)

    def on_setup(self, sender: str = "", instance: Any = None, **_: Any) -> None:
        """Before consuming: also take jobs sent to this worker by name and to its hardware."""
        self.name = sender
        for queue in queues_of(self.backend, self.name, self.hardware)[1:]:
            instance.app.amqp.queues.select_add(queue)

    def on_ready(self, sender: Any = None, **_: Any) -> None:
        self.name = sender.hostname
        migrate()
        tidy_cache(get_settings().cache_dir, get_settings().cache_max_gb)  # what killed builds left; the cap
        self.beat()
        threading.Thread(target=self._beat_loop, name="speedboard-presence", daemon=True).start()
        # Not before announcing: it waits for the host lock, which another worker's benchmark may hold for long.
        threading.Thread(target=self.measure_peaks, name="speedboard-peaks", daemon=True).start()
        start_reaper(self.stop)
        log.info("worker %s ready on queues %s", self.name, ", ".join(queues_of(self.backend, self.name, self.hardware)))

    def measure_peaks(self) -> None:
        """The machine's matmul peak per precision (cached per host and library versions), announced once known.
        Measured under the host lock, so a job this worker takes meanwhile waits for it and gets its share."""
        settings = get_settings()
        self.peaks = machine_peaks(self.peak_module, settings.peaks_folder, settings.peak_measure_s,
                                   settings.host_lock_path, self.peak_key(), still_wanted=lambda: not self.stop.is_set())
        log.info("worker peak GFLOP/s %s (%s)", self.peaks.get("peak_gflops"), self.peaks.get("method"))
        self.beat()

    def on_shutdown(self, **_: Any) -> None:
        self.stop.set()
        if self.name:
            with session_scope() as session:
                depart(session, self.name)

    def _beat_loop(self) -> None:
        while not self.stop.wait(get_settings().heartbeat_s):
            try:
                self.beat()
            except Exception:  # noqa: BLE001  (database briefly away; the next beat will do)
                log.exception("presence heartbeat failed")

    def run(self, job_id: str, worker: str) -> str:
        self.job_id = job_id
        self.beat()
        try:
            return runner.run_job(job_id, worker, lambda: self.peaks)
        finally:
            self.job_id = None
            self.beat()


def install(app: Celery, backend: str, describe_hardware: Callable[[], tuple[str, Any]], peak_module: str,
            peak_key: Callable[[], dict[str, str]] = dict) -> Agent:
    """Wire the agent into the worker's signals; `peak_module` runs as `python -m` to measure the machine's peak."""
    agent = Agent(backend, describe_hardware, peak_module, peak_key)
    signals.celeryd_after_setup.connect(agent.on_setup, weak=False)
    signals.worker_ready.connect(agent.on_ready, weak=False)
    signals.worker_shutdown.connect(agent.on_shutdown, weak=False)
    signals.worker_shutting_down.connect(lambda **_: runner.shutting_down.set(), weak=False)
    return agent
