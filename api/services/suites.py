"""Suites: the seed study queued in one call, its progress, and cancelling it."""

from __future__ import annotations

from sqlmodel import Session

from api.access import owner_of
from api.limits import check_queue
from api.schemas import JobCreate, SuiteCreate, SuitePublic, SuitesPublic
from api.services.job_groups import cancel_group, get_group, jobs_of, page_of, progress
from api.services.job_requests import placement, resolve
from shared.access.roles import Principal
from shared.catalog.seed import SEED_MODELS, SEED_SETTINGS
from shared.db.tables import Suite
from shared.jobs.lifecycle import submit_jobs


def create_suite(session: Session, body: SuiteCreate, principal: Principal | None) -> SuitePublic:
    """Queue every seed model with the seed's settings for the backend (streams: the worker's physical cores), in the
    precision asked (the seed's `auto` unless told)."""
    settings = SEED_SETTINGS[body.backend] | {"precision": body.precision}
    requests = [JobCreate(model=model, backend=body.backend, duration_s=body.duration_s, repeats=body.repeats,
                          worker=body.worker, hardware=body.hardware, **settings) for model in SEED_MODELS]
    # All resolved before any is queued, and queued in one transaction: a bad entry queues nothing.
    where = placement(requests[0], session)
    planned = [resolve(request, session) for request in requests]
    owner = owner_of(principal)
    check_queue(session, owner, len(planned), "suite")
    suite = Suite(name=body.name, backend=body.backend, repeats=body.repeats, owner=owner)
    submit_jobs(session, planned, group=suite, suite_id=suite.id, owner=owner, **where)
    return suite_progress(session, suite.id)


def suite_progress(session: Session, suite_id: str) -> SuitePublic:
    suite = get_group(session, suite_id, "suite")
    return SuitePublic(**progress(suite, jobs_of(session, suite_id)))


def list_suites(session: Session, limit: int, offset: int) -> SuitesPublic:
    groups, total = page_of(session, "suite", limit, offset)
    return SuitesPublic(items=[SuitePublic(**progress(suite, jobs)) for suite, jobs in groups], total=total)


def cancel_suite(session: Session, suite_id: str, principal: Principal | None) -> SuitePublic:
    cancel_group(session, get_group(session, suite_id, "suite"), principal)
    return suite_progress(session, suite_id)
