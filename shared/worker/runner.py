"""The worker's side of a job: claim it, run the benchmark process, keep the lease, record the outcome."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from queue import Empty, Queue
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from shared.db.engine import session_scope
from shared.db.tables import Job, JobSpec
from shared.jobs.lifecycle import attempt_lost, claim_job, finish, finish_succeeded, get_job, heartbeat, release_job
from shared.measurement.children import describe_exit
from shared.measurement.hardware import physical_cores
from shared.measurement.pipeline import BenchSpec
from shared.measurement.repeats import RepeatsDisagree, combine
from shared.settings import get_settings
from shared.worker.host_lock import host_lock
from shared.worker.memory_watch import MemoryLimits, memory_limits
from shared.worker.out_of_memory import is_out_of_memory, over_rss, ran_out

log = logging.getLogger("speedboard.runner")

CANCEL_GRACE_S = 5.0
# Set when the worker is asked to stop (Ctrl-C, SIGTERM): the running job goes back to the queue at once.
shutting_down = threading.Event()
# Where each stage sits in the job's overall progress (0-1).
STAGE_SPAN = {"preparing": (0.0, 0.05), "converting": (0.05, 0.2), "building engine": (0.2, 0.3),
              "warming up": (0.3, 0.4), "measuring": (0.4, 1.0)}


@dataclass
class Outcome:
    kind: str  # result | failed | cancelled | lost | released | taken
    payload: Any = None


@dataclass
class Repeat:
    """Which of the job's repeats is running, and when the whole job must be done."""

    number: int
    of: int
    deadline: float


def run_job(job_id: str, worker: str, peaks: Callable[[], Mapping[str, Any]] = dict) -> str:
    """Run one job to its end; returns the job's status afterwards ("skipped" when another holds it).

    `peaks()` is the worker's measured matmul peak (shared.worker.peaks.machine_peaks), read once the job's runs
    are done, for its peak share."""
    with session_scope() as session:
        job = claim_job(session, job_id, worker)
        if job is None:
            log.info("job %s is not claimable (duplicate delivery or already taken)", job_id)
            return "skipped"
        try:
            return record(session, job, worker, _run_with_host_lock(session, job, worker, peaks))
        except Exception as error:
            # A bug of ours must still end the job with a reason rather than leave it to the reaper.
            log.exception("job %s failed inside the worker", job_id)
            session.rollback()
            return finish(session, job_id, worker, "failed", detail="failed",
                          error=f"internal error in the worker ({type(error).__name__}: {error}); please report it")


def _run_with_host_lock(session: Session, job: Job, worker: str, peaks: Callable[[], Mapping[str, Any]]) -> Outcome:
    def still_wanted() -> bool:
        status = heartbeat(session, job.id, worker, detail="waiting for another benchmark on this machine to finish")
        return status == "running"

    with host_lock(get_settings().host_lock_path, still_wanted) as acquired:
        if not acquired:
            return Outcome("cancelled")
        return run_repeats(session, job, worker, peaks)


def run_repeats(session: Session, job: Job, worker: str, peaks: Callable[[], Mapping[str, Any]]) -> Outcome:
    """One benchmark process per repeat, one after another on this machine, combined into one result."""
    deadline = time.monotonic() + get_settings().job_time_limit_s  # for the whole job, every repeat included
    runs, described = [], []
    for number in range(1, job.repeats + 1):
        if number > 1:  # cancelled, or taken by the reaper, since the last repeat: start no other
            status = heartbeat(session, job.id, worker, detail=f"starting repeat {number} of {job.repeats} on {worker}")
            if status != "running":
                return Outcome("cancelled" if status == "cancelling" else "taken")
        outcome = run_benchmark_process(session, job, worker, Repeat(number, job.repeats, deadline))
        if outcome.kind != "result":
            if outcome.kind in ("failed", "lost") and job.repeats > 1:
                outcome.payload = f"repeat {number} of {job.repeats}: {outcome.payload}"
            return outcome
        runs.append(outcome.payload["run"])
        described.append(outcome.payload["described"])
    measured = peaks()
    try:
        result = combine(runs, described, measured.get("peak_gflops", {}))
    except RepeatsDisagree as error:
        return Outcome("failed", f"{error}; run the job again")
    peak = measured.get("peak_gflops", {}).get(result["precision_used"])
    result["hardware_detail"] = result["hardware_detail"] | {
        "peak": {"precision": result["precision_used"], "gflops": peak, "method": measured.get("method")}}
    return Outcome("result", {"result": result, "runs": runs})


def bench_spec(job: Job) -> BenchSpec:
    """The job's own spec plus what this worker decides: streams, cache, device, build limit."""
    settings = get_settings()
    return BenchSpec(**job.model_dump(include=set(JobSpec.model_fields)) | {
        "streams": job.streams or (physical_cores() if job.backend == "cpu" else 1),
        "cache_dir": settings.cache_dir, "device": settings.gpu_device if job.backend == "gpu" else "",
        "build_limit_s": settings.engine_build_limit_s, "cache_max_gb": settings.cache_max_gb,
    })


def _read_events(stream: Any, events: Queue[list[Any] | None]) -> None:
    for line in stream:
        try:
            events.put(json.loads(line))
        except json.JSONDecodeError:
            log.warning("benchmark process printed %r", line[:200])
    events.put(None)


def run_benchmark_process(session: Session, job: Job, worker: str, repeat: Repeat) -> Outcome:
    """Run the benchmark process, relaying progress and honouring cancellation and the time limit.

    The process never outlives this call, whatever happens here: an orphan would skew the next job's timing.
    It runs within the worker's memory limits (shared.worker.memory_watch).
    """
    limits = memory_limits(job.backend)
    # A session of its own: Ctrl-C on the terminal reaches the worker, which hands the job back and stops
    # this process itself, instead of killing the measurement and spending one of the job's attempts.
    process = subprocess.Popen(
        [sys.executable, "-m", "shared.measurement.process"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=limits.preexec,
        cwd=os.getcwd(), start_new_session=True,
    )
    try:
        return _watch(session, job, worker, process, repeat, limits)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def _watch(session: Session, job: Job, worker: str, process: subprocess.Popen[str], repeat: Repeat,
           limits: MemoryLimits) -> Outcome:
    settings = get_settings()
    spec = bench_spec(job)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(spec.to_json())
    process.stdin.close()
    events: Queue[list[Any] | None] = Queue()
    threading.Thread(target=_read_events, args=(process.stdout, events), daemon=True).start()

    which = f" (repeat {repeat.number} of {repeat.of})" if repeat.of > 1 else ""
    stage, fraction, asked_to_stop = "preparing", 0.0, None
    status: str | None = "running"
    while True:
        if shutting_down.is_set():
            process.terminate()
            return Outcome("released", "the worker running it was shut down")
        try:
            event = events.get(timeout=1.0)
        except Empty:
            event = []
        if event is None:  # stdout closed: the process ended without saying how
            process.wait()
            return Outcome("lost", describe_exit(process.returncode))
        if event and event[0] == "progress":
            stage, fraction = event[1], event[2]
        elif event:
            return reported(event, spec, stage, limits)
        if (held := limits.over_rss(process.pid)) is not None:
            with suppress(ProcessLookupError):  # its group: the conversion process it may be running too
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return Outcome("failed", over_rss(spec, limits.rss_limit(), held))
        try:
            progress = (repeat.number - 1 + overall_progress(stage, fraction)) / repeat.of
            status = heartbeat(session, job.id, worker, stage=stage, progress=round(progress, 3),
                               detail=f"{stage} on {worker}{which}" if status != "cancelling" else "cancelling")
        except OperationalError as error:  # database briefly away: the lease outlasts short outages
            session.rollback()
            log.warning("heartbeat for job %s failed: %s", job.id, str(error).splitlines()[0])
        now = time.monotonic()
        if status is None:
            return Outcome("taken")  # the reaper gave the job to another worker: our run no longer counts
        if status == "cancelling" and asked_to_stop is None:
            process.terminate()
            asked_to_stop = now
        elif asked_to_stop is not None and now - asked_to_stop > CANCEL_GRACE_S:
            return Outcome("cancelled")
        elif now > repeat.deadline:
            return Outcome("failed", f"exceeded the job time limit of {_duration(settings.job_time_limit_s)} "
                                     "(SPEEDBOARD_JOB_TIME_LIMIT_S); use a shorter duration_s, fewer repeats or a "
                                     "smaller model")


def reported(event: list[Any], spec: BenchSpec, stage: str, limits: MemoryLimits) -> Outcome:
    """How the process said it ended. A CPU benchmark that ran out of memory fails saying which limit it hit and
    what would fit (GPU engines explain their device's memory themselves)."""
    kind, detail = event[0], event[1] if len(event) > 1 else None
    if kind == "failed" and spec.backend == "cpu" and is_out_of_memory(str(detail)):
        return Outcome("failed", ran_out(spec, limits.allocation_limit(), stage, str(detail)))
    return Outcome(kind, detail)


def overall_progress(stage: str, fraction: float) -> float:
    low, high = STAGE_SPAN.get(stage, (0.0, 0.0))
    return round(low + (high - low) * max(0.0, min(1.0, fraction)), 3)


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def record(session: Session, job: Job, worker: str, outcome: Outcome) -> str:
    if outcome.kind == "result":
        return finish_succeeded(session, job.id, worker, outcome.payload["result"], outcome.payload["runs"])
    if outcome.kind == "failed":
        return finish(session, job.id, worker, "failed", error=outcome.payload, detail="failed")
    if outcome.kind == "cancelled":
        return finish(session, job.id, worker, "cancelled", detail="cancelled while running")
    if outcome.kind == "released":
        return release_job(session, job.id, worker, outcome.payload)
    if outcome.kind == "lost":
        log.warning("job %s: %s", job.id, outcome.payload)
        current = get_job(session, job.id)
        return attempt_lost(session, current, outcome.payload, expected_status=current.status)
    return get_job(session, job.id).status
