"""GET /workers: the workers connected now, from their heartbeats."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import SessionDep
from api.schemas import WorkerPublic, WorkersPublic
from shared.jobs.presence import live_workers
from shared.jobs.vocabulary import BackendName

router = APIRouter(prefix="/workers", tags=["workers"])


@router.get("", response_model=WorkersPublic)
def read_workers(session: SessionDep, backend: BackendName | None = None) -> WorkersPublic:
    """Name, backend, hardware, host, state and last heartbeat of every live worker; name one in a job's `worker`."""
    workers = [w for w in live_workers(session) if backend is None or w.backend == backend]
    return WorkersPublic(items=[WorkerPublic.model_validate(w, from_attributes=True) for w in workers], total=len(workers))
