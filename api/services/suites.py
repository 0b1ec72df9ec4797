"""Suites: the seed study queued in one call, and its progress."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from sqlmodel import Session, col, func, select

from api.errors import NotFound
from api.schemas import JobCreate, SuiteCreate, SuitePublic, SuitesPublic
from api.services.job_requests import placement, resolve
from shared.catalog.seed import SEED_MODELS, SEED_SETTINGS
from shared.db.tables import Job, Suite
from shared.jobs.lifecycle import submit_job
from shared.jobs.vocabulary import TERMINAL


def create_suite(session: Session, body: SuiteCreate) -> SuitePublic:
    """Queue every seed model with the seed's settings for the backend (streams: the worker's physical cores)."""
    settings = SEED_SETTINGS[body.backend]
    requests = [JobCreate(model=model, backend=body.backend, duration_s=body.duration_s, repeats=body.repeats,
                          worker=body.worker, hardware=body.hardware, **settings) for model in SEED_MODELS]
    # All resolved before any is queued: a bad entry queues nothing.
    planned = [(resolve(request, session), placement(request, session)) for request in requests]
    suite = Suite(name=body.name, backend=body.backend, repeats=body.repeats)
    session.add(suite)
    session.commit()
    for spec, where in planned:
        submit_job(session, spec, suite_id=suite.id, **where)
    return suite_progress(session, suite.id)


def suite_progress(session: Session, suite_id: str) -> SuitePublic:
    suite = session.get(Suite, suite_id)
    if suite is None:
        raise NotFound(f"no suite with id {suite_id}; list suites with GET /suites")
    return _progress(suite, session.exec(select(Job).where(col(Job.suite_id) == suite_id)).all())


def list_suites(session: Session, limit: int, offset: int) -> SuitesPublic:
    """A page of suites with their jobs: three queries whatever the page's length."""
    suites = session.exec(select(Suite).order_by(col(Suite.created_at).desc()).offset(offset).limit(limit)).all()
    total = session.exec(select(func.count()).select_from(Suite)).one()
    jobs: dict[str, list[Job]] = defaultdict(list)
    if suites:
        for job in session.exec(select(Job).where(col(Job.suite_id).in_([suite.id for suite in suites]))):
            jobs[job.suite_id or ""].append(job)
    return SuitesPublic(items=[_progress(suite, jobs[suite.id]) for suite in suites], total=total)


def _progress(suite: Suite, jobs: Sequence[Job]) -> SuitePublic:
    jobs = sorted(jobs, key=lambda job: job.created_at)
    counts = Counter(job.status for job in jobs)
    finished = sum(counts[status] for status in TERMINAL)
    return SuitePublic(
        id=suite.id, name=suite.name, backend=suite.backend, repeats=suite.repeats, created_at=suite.created_at, total=len(jobs),
        counts=dict(counts), finished=finished, done=finished == len(jobs),
        progress=round(sum(1.0 if job.status in TERMINAL else job.progress for job in jobs) / max(len(jobs), 1), 3),
        chart_url=f"/charts?suite={suite.id}",
        jobs=[{"id": job.id, "model": job.model, "status": job.status, "stage": job.stage, "progress": job.progress,
               "error": job.error} for job in jobs],
    )
