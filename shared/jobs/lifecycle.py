"""A job's life in the database: created, published, claimed, heartbeated, finished, retried, cancelled.

Every transition is a conditional UPDATE, so two processes racing on one job never both win.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, SQLModel, col, select

from shared import Conflict, NotFound
from shared.db.tables import CatalogEntry, Job, JobSpec, Result, Run, utcnow
from shared.jobs.broker import publish
from shared.jobs.vocabulary import TERMINAL
from shared.settings import get_settings

log = logging.getLogger("speedboard.jobs")


class JobNotFound(NotFound):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"no job with id {job_id}; list jobs with GET /jobs")


class JobFinished(Conflict):
    """The job already ended; nothing can change it."""

    def __init__(self, status: str) -> None:
        super().__init__(f"the job already ended ({status}); nothing to cancel")


def update_job(session: Session, job_id: str, where: Any, **values: Any) -> bool:
    values.setdefault("updated_at", utcnow())
    # No in-Python evaluation of the WHERE on loaded objects: callers re-read the row.
    statement = update(Job).where(col(Job.id) == job_id, where).values(**values)
    outcome = session.execute(statement.execution_options(synchronize_session=False))
    session.commit()
    return bool(outcome.rowcount)  # type: ignore[attr-defined]


def submit_job(session: Session, spec: JobSpec, queue: str, suite_id: str | None = None,
               target_worker: str | None = None, target_hardware: str | None = None, owner: str | None = None) -> Job:
    """Write the job row, then publish it. If the broker is away the job stays queued, unpublished,
    and the reaper publishes it once the broker answers: an accepted job is never lost."""
    [job_id] = submit_jobs(session, [spec], queue, suite_id=suite_id, target_worker=target_worker,
                           target_hardware=target_hardware, owner=owner)
    return get_job(session, job_id)


def submit_jobs(session: Session, specs: Sequence[JobSpec], queue: str, group: SQLModel | None = None,
                suite_id: str | None = None, target_worker: str | None = None,
                target_hardware: str | None = None, owner: str | None = None) -> list[str]:
    """Write the jobs (and the suite or sweep `group` they belong to) in one transaction, then publish each: a group
    is never seen, cancelled or left behind half-written."""
    jobs = [Job.model_validate(spec.model_dump() | {"queue": queue, "suite_id": suite_id, "target_worker": target_worker,
                                                    "target_hardware": target_hardware, "owner": owner}) for spec in specs]
    if group is not None:
        session.add(group)
    session.add_all(jobs)
    session.commit()
    for job in jobs:
        _try_publish(session, job)
    return [job.id for job in jobs]


def _try_publish(session: Session, job: Job) -> None:
    try:
        publish_job(session, job)
    except Exception as error:  # noqa: BLE001  (any broker failure: published_at stays empty, the reaper retries)
        log.warning("job %s saved but not yet published: %s", job.id, error)


def publish_job(session: Session, job: Job) -> None:
    """Hand the job to the broker, unless it names a custom variant not counted ready: it waits unpublished, and
    shared.catalog.counting publishes it (or fails it with the reason) once the variant is counted."""
    if job.base_model:
        state = session.exec(select(CatalogEntry.state).where(col(CatalogEntry.name) == job.model)).first()
        if state in ("pending", "refused"):
            return
    publish(job.id, job.queue, job.backend)
    update_job(session, job.id, col(Job.status) == "queued", published_at=utcnow())


def get_job(session: Session, job_id: str) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise JobNotFound(job_id)
    session.refresh(job)
    return job


def claim_job(session: Session, job_id: str, worker: str) -> Job | None:
    """Take the job if it is queued, or running on a lease that expired; None when someone else has it."""
    now = utcnow()
    stale = now - timedelta(seconds=get_settings().heartbeat_timeout_s)
    expired = (col(Job.status) == "running") & (col(Job.heartbeat_at) < stale)
    # An expired lease on the last attempt is the reaper's to fail, not ours to run once more.
    claimable = (col(Job.status) == "queued") | (expired & (col(Job.attempts) < get_settings().max_attempts))
    won = update_job(
        session, job_id, claimable,
        status="running", worker=worker, attempts=Job.attempts + 1, stage="preparing", progress=0.0,
        started_at=now, heartbeat_at=now, detail=f"preparing on {worker}",
    )
    return get_job(session, job_id) if won else None


def heartbeat(session: Session, job_id: str, worker: str, **values: Any) -> str | None:
    """Refresh the lease (and stage, progress, detail); returns the job's status, None if no longer ours."""
    mine = (col(Job.worker) == worker) & col(Job.status).in_(("running", "cancelling"))
    if not update_job(session, job_id, mine, heartbeat_at=utcnow(), **values):
        return None
    return get_job(session, job_id).status


def finish_succeeded(session: Session, job_id: str, worker: str, result: dict[str, Any],
                     runs: list[dict[str, Any]]) -> str:
    """Store the result and its runs and end the job in one transaction; a job cancelled meanwhile stores nothing."""
    job = get_job(session, job_id)
    if job.worker != worker or job.status not in ("running", "cancelling"):
        return job.status
    if job.status == "cancelling":
        return finish(session, job_id, worker, "cancelled", detail="cancelled while measuring")
    now = utcnow()
    stored = add_result(session, result | {"job_id": job_id, "created_at": now, "suite_id": job.suite_id})
    for number, run in enumerate(runs, start=1):
        session.add(Run.model_validate(run | {"job_id": job_id, "result_id": stored.id, "repeat": number, "created_at": now}))
    outcome = session.execute(
        update(Job)
        .where(col(Job.id) == job_id, col(Job.worker) == worker, col(Job.status) == "running")
        .values(status="succeeded", progress=1.0, detail="done", finished_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not outcome.rowcount:  # type: ignore[attr-defined]
        session.rollback()  # cancelled between the read and the write
        return finish(session, job_id, worker, "cancelled", detail="cancelled while measuring")
    session.commit()
    return "succeeded"


def add_result(session: Session, fields: dict[str, Any]) -> Result:
    """Add a result as the latest run of its configuration (not committed: the caller's transaction decides)."""
    result = Result.model_validate(fields | {"config_key": "", "latest": True})
    key = result.config_key = config_key(result.model_dump())
    previous = session.exec(select(Result.runs).where(col(Result.config_key) == key, col(Result.latest))).all()
    session.execute(update(Result).where(col(Result.config_key) == key, col(Result.latest)).values(latest=False)
                    .execution_options(synchronize_session=False))
    result.runs = max(previous, default=0) + 1
    session.add(result)
    session.flush()
    return result


# The precision that ran, not the one asked: an `auto` run that computed bf16 and a `bf16` run are one configuration.
# Not method_version: a run by a newer method is the newest run of the same point (its hover says which method).
CONFIG_COLUMNS = ("model", "pretrained_tag", "backend", "engine", "hardware", "precision_used", "batch_size", "input_size",
                  "streams", "cuda_graphs")


def config_key(result: dict[str, Any]) -> str:
    """Results with the same key are runs of one configuration: one point on a chart. An int8 result's calibration
    is part of it (random and real calibrations time alike, but only one has a measured accuracy); it is appended
    only when set, so every float result keeps the key it was stored under.
    (Migrations that rekey stored results carry their own frozen copy of this recipe.)"""
    text = "|".join(str(result[column]) for column in CONFIG_COLUMNS)
    if result.get("calibration"):
        text += f"|calibration={result['calibration']}"
    return hashlib.sha1(text.encode()).hexdigest()[:20]


def finish(session: Session, job_id: str, worker: str, status: str, **values: Any) -> str:
    """End a job this worker holds as failed or cancelled."""
    mine = (col(Job.worker) == worker) & col(Job.status).in_(("running", "cancelling"))
    update_job(session, job_id, mine, status=status, finished_at=utcnow(), **values)
    return get_job(session, job_id).status


def attempt_lost(session: Session, job: Job, reason: str, expected_status: str = "running",
                 stale_before: datetime | None = None) -> str:
    """An attempt ended without an outcome (the worker died): retry it, or fail after the last attempt.

    `stale_before` (the reaper's cutoff) makes it a no-op if the worker's heartbeat came back meanwhile.
    """
    max_attempts = get_settings().max_attempts
    guard = (col(Job.status) == expected_status) & (col(Job.attempts) == job.attempts)
    if stale_before is not None:
        guard = guard & (col(Job.heartbeat_at) < stale_before)
    if job.status == "cancelling":
        update_job(session, job.id, guard, status="cancelled", finished_at=utcnow(), detail=f"cancelled; {reason}")
    elif job.attempts >= max_attempts:
        error = (f"gave up after {job.attempts} attempts: {reason}. "
                 "Try a smaller model or batch size, or a machine with more memory.")
        update_job(session, job.id, guard, status="failed", error=error, finished_at=utcnow(), detail="failed")
    else:
        _requeue(session, job.id, guard, reason,
                 detail=f"retrying (attempt {job.attempts} of {max_attempts} lost: {reason})")
    return get_job(session, job.id).status


def release_job(session: Session, job_id: str, worker: str, reason: str) -> str:
    """Hand a job back to the queue without spending an attempt (its worker is shutting down on purpose)."""
    mine = (col(Job.worker) == worker) & (col(Job.status) == "running")
    if not _requeue(session, job_id, mine, reason, attempts=Job.attempts - 1):
        finish(session, job_id, worker, "cancelled", detail=f"cancelled; {reason}")  # it was being cancelled
    return get_job(session, job_id).status


def _requeue(session: Session, job_id: str, guard: Any, reason: str, **values: Any) -> bool:
    """Put a held job back in the queue, unpublished, and publish it; False when `guard` no longer holds."""
    requeued = update_job(session, job_id, guard, status="queued", stage=None, progress=0.0, worker=None,
                          heartbeat_at=None, last_failure=reason, published_at=None, **values)
    if requeued:
        _try_publish(session, get_job(session, job_id))
    return requeued


def cancel_job(session: Session, job_id: str) -> Job:
    """Queued jobs end at once; running ones turn `cancelling` until their worker stops."""
    for _ in range(3):  # the job may move between our read and our write; look again
        job = get_job(session, job_id)
        if job.status in TERMINAL:
            raise JobFinished(job.status)
        if job.status == "cancelling":
            return job
        now = utcnow()
        if update_job(session, job_id, col(Job.status) == "queued",
                      status="cancelled", finished_at=now, detail="cancelled before it started"):
            return get_job(session, job_id)
        if update_job(session, job_id, col(Job.status) == "running",
                      status="cancelling", detail="cancelling: the worker stops within seconds"):
            return get_job(session, job_id)
    return get_job(session, job_id)
