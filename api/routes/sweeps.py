"""POST /sweeps (models × batch sizes × streams), GET /sweeps, GET /sweeps/{id}, DELETE /sweeps/{id}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.deps import CallerDep, SessionDep
from api.limits import groups_rate
from api.schemas import MAX_OFFSET, SweepCreate, SweepPublic, SweepsPublic
from api.services.sweeps import cancel_sweep, create_sweep, list_sweeps, sweep_progress

router = APIRouter(prefix="/sweeps", tags=["sweeps"])


@router.post("", status_code=202, response_model=SweepPublic, dependencies=[Depends(groups_rate)])
def create(body: SweepCreate, session: SessionDep, response: Response, principal: CallerDep) -> SweepPublic:
    sweep = create_sweep(session, body, principal)
    response.headers["Location"] = f"/sweeps/{sweep.id}"
    return sweep


@router.get("", response_model=SweepsPublic)
def read_sweeps(session: SessionDep, limit: Annotated[int, Query(ge=1, le=100)] = 20,
                offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> SweepsPublic:
    return list_sweeps(session, limit, offset)


@router.get("/{sweep_id}", response_model=SweepPublic)
def read_sweep(sweep_id: str, session: SessionDep) -> SweepPublic:
    return sweep_progress(session, sweep_id)


@router.delete("/{sweep_id}", status_code=202, response_model=SweepPublic)
def delete_sweep(sweep_id: str, session: SessionDep, principal: CallerDep) -> SweepPublic:
    """Cancel every job of the sweep that has not ended; its results so far stay."""
    return cancel_sweep(session, sweep_id, principal)
