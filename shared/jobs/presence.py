"""Which workers are connected, from the heartbeats they write, which are known (a job may name them), and what a
queued job is waiting for.

A stopping worker is marked `stopped`, not deleted: it is no longer connected, but a job may still name it and wait
for it to come back. The reaper forgets a worker not heard from for the queue TTL, the longest a queued job waits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from shared.db.tables import Capacity, Job, Worker, utcnow
from shared.settings import get_settings

STOPPED = "stopped"


def announce(session: Session, worker: Worker) -> None:
    """Insert or refresh this worker's row (an upsert, so restarts and races are harmless)."""
    values = worker.model_dump()
    values["last_heartbeat"] = utcnow()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Worker).values(**values)
    refreshed = {k: v for k, v in values.items() if k not in ("name", "started_at")}
    statement = statement.on_conflict_do_update(index_elements=["name"], set_=refreshed)
    session.execute(statement)
    _remember_capacity(session, worker)
    session.commit()


def _remember_capacity(session: Session, worker: Worker) -> None:
    """Keep the largest memory a backend's workers announce (a worker's own new figure replaces its old one)."""
    if not worker.memory_gb:
        return
    known = session.get(Capacity, worker.backend)
    if known is None:
        session.add(Capacity(backend=worker.backend, memory_gb=worker.memory_gb, physical_cores=worker.physical_cores,
                             worker=worker.name))
    elif worker.memory_gb > known.memory_gb or known.worker == worker.name:
        known.memory_gb, known.physical_cores, known.worker = worker.memory_gb, worker.physical_cores, worker.name
        known.announced_at = utcnow()


def depart(session: Session, name: str) -> None:
    """Mark the worker stopped: no longer connected, still known until the reaper forgets it."""
    session.execute(update(Worker).where(col(Worker.name) == name).values(state=STOPPED, job_id=None)
                    .execution_options(synchronize_session=False))
    session.commit()


def live_workers(session: Session) -> list[Worker]:
    """Workers whose heartbeat is recent and that have not said they stopped."""
    since = utcnow() - timedelta(seconds=get_settings().worker_live_s)
    return list(session.exec(select(Worker).where(col(Worker.last_heartbeat) >= since, col(Worker.state) != STOPPED)
                             .order_by(col(Worker.name))))


@dataclass(frozen=True)
class Known:
    """The targets a job may name: workers seen within the queue TTL (stopped ones too) and their hardware."""

    backends: dict[str, str]  # worker name → its backend
    hardware: dict[str, list[str]]  # backend → its workers' hardware labels, sorted


def known_workers(session: Session) -> list[Worker]:
    """Workers heard from within the queue TTL, connected or not: those a job may name and wait for."""
    since = utcnow() - timedelta(seconds=get_settings().queue_ttl_s)
    return list(session.exec(select(Worker).where(col(Worker.last_heartbeat) >= since).order_by(col(Worker.name))))


def known_targets(session: Session) -> Known:
    """The worker names and, per backend, the hardware labels a job may name."""
    hardware: dict[str, set[str]] = defaultdict(set)
    backends: dict[str, str] = {}
    for worker in known_workers(session):
        backends[worker.name] = worker.backend
        hardware[worker.backend].add(worker.hardware)
    return Known(backends=backends, hardware={backend: sorted(labels) for backend, labels in hardware.items()})


def forget_workers(session: Session) -> int:
    """Delete the workers not heard from within the queue TTL: a job naming one could only expire unserved."""
    since = utcnow() - timedelta(seconds=get_settings().queue_ttl_s)
    forgotten = session.execute(delete(Worker).where(col(Worker.last_heartbeat) < since)
                                .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return forgotten


def queue_ttl_text() -> str:
    return f"{get_settings().queue_ttl_s / 3600:g} h"


def how_to_start(backend: str) -> str:
    return "start one with `make worker`" if backend == "cpu" else "start one with `make worker-gpu` on a machine with a GPU"


def waiting_details(session: Session, jobs: Sequence[Job]) -> dict[str, str]:
    """One sentence per queued job on what it waits for, from live heartbeats: two queries however many jobs."""
    if not jobs:
        return {}
    workers = live_workers(session)
    earlier = aliased(Job)
    ahead = (select(func.count()).select_from(earlier)
             .where(earlier.queue == Job.queue, earlier.status == "queued", earlier.created_at < Job.created_at)
             .correlate(Job).scalar_subquery())
    counts = dict(session.exec(select(Job.id, ahead).where(col(Job.id).in_([job.id for job in jobs]))).all())
    return {job.id: _detail(job, [w for w in workers if job.queue in w.queues], counts.get(job.id, 0)) for job in jobs}


def _detail(job: Job, workers: list[Worker], ahead: int) -> str:
    if job.target_worker:
        kind = f"worker {job.target_worker}"
        how = "see GET /workers for the connected ones"
    elif job.target_hardware:
        kind = f"{job.backend} worker on {job.target_hardware}"
        how = "see GET /workers for the hardware of the connected ones"
    else:
        kind = f"{job.backend} worker"
        how = how_to_start(job.backend)
    if not workers and job.target_worker:
        return f"waiting for {kind} (not connected; {how})"
    if not workers:
        return f"waiting for a {kind} (none connected; {how})"
    busy = sum(w.state == "busy" for w in workers)
    if job.target_worker:
        return f"waiting for {kind} ({'busy' if busy else 'idle'}, {ahead} queued ahead for it)"
    return f"waiting for a {kind} ({len(workers)} connected, {busy} busy, {ahead} queued ahead)"
