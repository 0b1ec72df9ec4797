"""Jobs as the API shows them: created, listed, read and cancelled, with what a queued job waits for and a
succeeded job's result. A page of jobs costs the same few queries whatever its length."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, func, select

from api.access import check_owner, owner_of
from api.limits import check_queue
from api.schemas import JobCreate, JobPublic, JobsPublic
from api.services.job_requests import placement, resolve
from api.services.results import results_public
from shared.access.roles import Principal
from shared.catalog.counting import held_details
from shared.db.tables import Job, Result
from shared.jobs.lifecycle import cancel_job, get_job, submit_job
from shared.jobs.presence import waiting_details


def jobs_public(session: Session, jobs: Sequence[Job]) -> list[JobPublic]:
    """Jobs with their waiting detail and result: at most five queries (workers, queue, results, runs, accuracy book)."""
    details = waiting_details(session, [job for job in jobs if job.status == "queued"])
    held = held_details(session, jobs)  # jobs of custom variants not yet counted (no query when there are none)
    succeeded = [job.id for job in jobs if job.status == "succeeded"]
    results = {}
    if succeeded:
        rows = session.exec(select(Result).where(col(Result.job_id).in_(succeeded))).all()
        results = {result.job_id: result for result in results_public(session, rows)}
    items = []
    for job in jobs:
        public = JobPublic.model_validate(job, from_attributes=True)
        if job.id in details:
            public.detail = details[job.id] + (f"; last attempt: {job.last_failure}" if job.last_failure else "")
            if job.id in held:
                public.detail = held[job.id]
            elif job.published_at is None:
                public.detail += "; not yet handed to the broker (it will be when the broker answers)"
        public.result = results.get(job.id)
        items.append(public)
    return items


def create_job(session: Session, body: JobCreate, principal: Principal | None) -> JobPublic:
    check_queue(session, owner_of(principal), 1, "job")
    job = submit_job(session, resolve(body, session), **placement(body, session), owner=owner_of(principal))
    return jobs_public(session, [job])[0]


def list_jobs(session: Session, status: str | None, limit: int, offset: int) -> JobsPublic:
    query = select(Job)
    if status:
        query = query.where(col(Job.status) == status)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    jobs = session.exec(query.order_by(col(Job.created_at).desc()).offset(offset).limit(limit)).all()
    return JobsPublic(items=jobs_public(session, jobs), total=total)


def read_job(session: Session, job_id: str) -> JobPublic:
    return jobs_public(session, [get_job(session, job_id)])[0]


def cancel(session: Session, job_id: str, principal: Principal | None) -> JobPublic:
    check_owner(principal, get_job(session, job_id).owner, "job")
    return jobs_public(session, [cancel_job(session, job_id)])[0]
