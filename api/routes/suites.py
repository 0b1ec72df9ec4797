"""POST /suites (the seed study in one call), GET /suites, GET /suites/{id}, DELETE /suites/{id}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.deps import CallerDep, SessionDep
from api.limits import groups_rate
from api.schemas import MAX_OFFSET, SuiteCreate, SuitePublic, SuitesPublic
from api.services.suites import cancel_suite, create_suite, list_suites, suite_progress

router = APIRouter(prefix="/suites", tags=["suites"])


@router.post("", status_code=202, response_model=SuitePublic, dependencies=[Depends(groups_rate)])
def create(body: SuiteCreate, session: SessionDep, response: Response, principal: CallerDep) -> SuitePublic:
    suite = create_suite(session, body, principal)
    response.headers["Location"] = f"/suites/{suite.id}"
    return suite


@router.get("", response_model=SuitesPublic)
def read_suites(session: SessionDep, limit: Annotated[int, Query(ge=1, le=100)] = 20,
                offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> SuitesPublic:
    return list_suites(session, limit, offset)


@router.get("/{suite_id}", response_model=SuitePublic)
def read_suite(suite_id: str, session: SessionDep) -> SuitePublic:
    return suite_progress(session, suite_id)


@router.delete("/{suite_id}", status_code=202, response_model=SuitePublic)
def delete_suite(suite_id: str, session: SessionDep, principal: CallerDep) -> SuitePublic:
    """Cancel every job of the suite that has not ended; its results so far stay."""
    return cancel_suite(session, suite_id, principal)
