"""What suites and sweeps share: a set of jobs queued in one call, its progress, and cancelling what has not ended.

Both are rows of the suite table, told apart by `kind`; each is listed and read under its own path.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from api.access import check_owner
from api.errors import NotFound
from shared.access.roles import Principal
from shared.db.tables import Job, Suite, utcnow
from shared.jobs.lifecycle import JobFinished, cancel_job
from shared.jobs.vocabulary import TERMINAL

PATHS = {"suite": "/suites", "sweep": "/sweeps"}


def get_group(session: Session, group_id: str, kind: str) -> Suite:
    group = session.get(Suite, group_id)
    if group is None:
        raise NotFound(f"no {kind} with id {group_id}; list them with GET {PATHS[kind]}")
    if group.kind != kind:
        raise NotFound(f"{group_id} is a {group.kind}, not a {kind}: read it with GET {PATHS[group.kind]}/{group_id}")
    return group


def jobs_of(session: Session, group_id: str) -> list[Job]:
    return list(session.exec(select(Job).where(col(Job.suite_id) == group_id)).all())


def page_of(session: Session, kind: str, limit: int, offset: int) -> tuple[list[tuple[Suite, list[Job]]], int]:
    """A page of one kind's groups with their jobs, newest first: three queries whatever the page's length."""
    groups = session.exec(select(Suite).where(col(Suite.kind) == kind).order_by(col(Suite.created_at).desc())
                          .offset(offset).limit(limit)).all()
    total = session.exec(select(func.count()).select_from(Suite).where(col(Suite.kind) == kind)).one()
    jobs: dict[str, list[Job]] = defaultdict(list)
    if groups:
        for job in session.exec(select(Job).where(col(Job.suite_id).in_([group.id for group in groups]))):
            jobs[job.suite_id or ""].append(job)
    return [(group, jobs[group.id]) for group in groups], total


def progress(group: Suite, jobs: Sequence[Job]) -> dict[str, Any]:
    """The fields of SuitePublic: counts per status, share finished, and each job's state."""
    jobs = sorted(jobs, key=lambda job: job.created_at)
    counts = Counter(job.status for job in jobs)
    finished = sum(counts[status] for status in TERMINAL)
    return dict(
        id=group.id, name=group.name, backend=group.backend, repeats=group.repeats, owner=group.owner,
        created_at=group.created_at,
        total=len(jobs), counts=dict(counts), finished=finished, done=finished == len(jobs),
        progress=round(sum(1.0 if job.status in TERMINAL else job.progress for job in jobs) / max(len(jobs), 1), 3),
        chart_url=f"/charts?suite={group.id}",
        jobs=[{"id": job.id, "model": job.model, "batch_size": job.batch_size, "streams": job.streams,
               "status": job.status, "stage": job.stage, "progress": job.progress, "error": job.error} for job in jobs],
    )


def cancel_group(session: Session, group: Suite, principal: Principal | None) -> None:
    """Cancel every job of the group that has not ended: the queued ones in one statement, at once; the running ones
    one by one (each turns `cancelling` and its worker stops within seconds). A submit token cancels its own only."""
    check_owner(principal, group.owner, group.kind)
    session.execute(update(Job).where(col(Job.suite_id) == group.id, col(Job.status) == "queued")
                    .values(status="cancelled", finished_at=utcnow(), updated_at=utcnow(),
                            detail=f"cancelled with its {group.kind} before it started")
                    .execution_options(synchronize_session=False))
    session.commit()
    for job in jobs_of(session, group.id):
        if job.status not in TERMINAL:
            try:
                cancel_job(session, job.id)
            except JobFinished:
                pass  # it ended between our read and the cancel: nothing left to stop
