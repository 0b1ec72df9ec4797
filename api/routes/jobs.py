"""POST /jobs, GET /jobs, GET /jobs/{id}, DELETE /jobs/{id}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlmodel import Session, col, func, select

from api.deps import SessionDep
from api.job_requests import placement, resolve
from api.schemas import MAX_OFFSET, JobCreate
from shared.catalog.accuracy import AccuracyBook, with_accuracy
from shared.db.tables import CatalogEntry, Job, JobPublic, JobsPublic, JobStatus, Result, ResultPublic
from shared.jobs.lifecycle import cancel_job, get_job, submit_job
from shared.jobs.presence import waiting_detail

router = APIRouter(prefix="/jobs", tags=["jobs"])

def to_public(session: Session, job: Job) -> JobPublic:
    public = JobPublic.model_validate(job, from_attributes=True)
    if job.status == "queued":
        public.detail = waiting_detail(session, job) + (f"; last attempt: {job.last_failure}" if job.last_failure else "")
        if job.published_at is None:
            public.detail += "; not yet handed to the broker (it will be when the broker answers)"
    if job.status == "succeeded":
        result = session.exec(select(Result).where(col(Result.job_id) == job.id)).first()
        if result is not None:
            book = AccuracyBook.of(session.exec(select(CatalogEntry)).all())
            public.result = with_accuracy(ResultPublic.model_validate(result, from_attributes=True), book)
    return public


@router.post("", status_code=202, response_model=JobPublic)
def create_job(body: JobCreate, session: SessionDep, response: Response) -> JobPublic:
    job = submit_job(session, resolve(body, session), **placement(body, session))
    response.headers["Location"] = f"/jobs/{job.id}"
    return to_public(session, job)


@router.get("", response_model=JobsPublic)
def list_jobs(
    session: SessionDep,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> JobsPublic:
    query = select(Job)
    if status:
        query = query.where(col(Job.status) == status)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    jobs = session.exec(query.order_by(col(Job.created_at).desc()).offset(offset).limit(limit)).all()
    return JobsPublic(items=[to_public(session, job) for job in jobs], total=total)


@router.get("/{job_id}", response_model=JobPublic)
def read_job(job_id: str, session: SessionDep) -> JobPublic:
    return to_public(session, get_job(session, job_id))


@router.delete("/{job_id}", status_code=202, response_model=JobPublic)
def delete_job(job_id: str, session: SessionDep) -> JobPublic:
    return to_public(session, cancel_job(session, job_id))
