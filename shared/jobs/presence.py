"""Which workers are connected, from the heartbeats they write, and what a queued job is waiting for."""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from shared.db.tables import Job, Worker, utcnow
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
    session.commit()


def depart(session: Session, name: str) -> None:
    worker = session.get(Worker, name)
    if worker is not None:
        session.delete(worker)
        session.commit()


def live_workers(session: Session, queue: str | None = None) -> list[Worker]:
    """Workers whose heartbeat is recent, optionally only those consuming `queue`."""
    since = utcnow() - timedelta(seconds=get_settings().worker_live_s)
    query = select(Worker).where(col(Worker.last_heartbeat) >= since).order_by(col(Worker.name))
    return [w for w in session.exec(query) if queue is None or queue in w.queues]


def waiting_detail(session: Session, job: Job) -> str:
    """One sentence on what a queued job waits for, from live heartbeats."""
    return waiting_details(session, [job])[job.id]


def waiting_details(session: Session, jobs: Sequence[Job]) -> dict[str, str]:
    """`waiting_detail` of each job, in two queries however many jobs there are."""
    if not jobs:
        return {}
    workers = live_workers(session)
    queues = sorted({job.queue for job in jobs})
    queued = session.exec(select(Job.queue, Job.created_at).where(col(Job.status) == "queued", col(Job.queue).in_(queues)))
    created: dict[str, list[datetime]] = defaultdict(list)
    for queue, created_at in queued:
        created[queue].append(created_at)
    for times in created.values():
        times.sort()
    return {job.id: _detail(job, [w for w in workers if job.queue in w.queues],
                            bisect_left(created[job.queue], job.created_at)) for job in jobs}


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
