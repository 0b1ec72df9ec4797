"""Which workers are connected, from the heartbeats they write, and what a queued job is waiting for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from shared.db.tables import Capacity, Job, Worker, utcnow
from shared.settings import get_settings


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
    worker = session.get(Worker, name)
    if worker is not None:
        session.delete(worker)
        session.commit()


def live_workers(session: Session) -> list[Worker]:
    """Workers whose heartbeat is recent."""
    since = utcnow() - timedelta(seconds=get_settings().worker_live_s)
    return list(session.exec(select(Worker).where(col(Worker.last_heartbeat) >= since).order_by(col(Worker.name))))


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
        how = "start one with `make worker`" if job.backend == "cpu" else "start a GPU worker on a machine with a GPU"
    if not workers and job.target_worker:
        return f"waiting for {kind} (not connected; {how})"
    if not workers:
        return f"waiting for a {kind} (none connected; {how})"
    busy = sum(w.state == "busy" for w in workers)
    if job.target_worker:
        return f"waiting for {kind} ({'busy' if busy else 'idle'}, {ahead} queued ahead for it)"
    return f"waiting for a {kind} ({len(workers)} connected, {busy} busy, {ahead} queued ahead)"
