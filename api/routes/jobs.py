"""POST /jobs, GET /jobs, GET /jobs/{id}, DELETE /jobs/{id}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.deps import CallerDep, SessionDep
from api.limits import jobs_rate
from api.schemas import MAX_OFFSET, JobCreate, JobPublic, JobsPublic
from api.services import jobs
from shared.jobs.vocabulary import JobStatus

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.post("", status_code=202, response_model=JobPublic, dependencies=[Depends(jobs_rate)])
def create_job(body: JobCreate, session: SessionDep, response: Response, principal: CallerDep) -> JobPublic:
    job = jobs.create_job(session, body, principal)
    response.headers["Location"] = f"/jobs/{job.id}"
    return job


@router.get("", response_model=JobsPublic)
def list_jobs(
    session: SessionDep,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> JobsPublic:
    return jobs.list_jobs(session, status, limit, offset)


@router.get("/{job_id}", response_model=JobPublic)
def read_job(job_id: str, session: SessionDep) -> JobPublic:
    return jobs.read_job(session, job_id)


@router.delete("/{job_id}", status_code=202, response_model=JobPublic)
def delete_job(job_id: str, session: SessionDep, principal: CallerDep) -> JobPublic:
    """Cancel a job: a submit token its own, an admin any."""
    return jobs.cancel(session, job_id, principal)
