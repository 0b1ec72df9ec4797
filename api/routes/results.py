"""GET /results as JSON or CSV, newest first, with the filters the charts and users need."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response

from api.csv_export import to_csv
from api.deps import SessionDep
from api.schemas import MAX_OFFSET, ResultsPublic, RunsPublic
from api.services.results import ResultFilters, list_results, list_runs
from shared.jobs.vocabulary import BackendName, EngineName, PrecisionName, RanPrecision

router = APIRouter(prefix="/results", tags=["results"])


@router.get("", response_model=ResultsPublic, responses={200: {"content": {"text/csv": {}}}})
def read_results(
    session: SessionDep,
    backend: BackendName | None = None,
    engine: EngineName | None = None,
    model: Annotated[str | None, Query(description="an architecture (every tag) or arch.tag")] = None,
    hardware: Annotated[str | None, Query(description="exact hardware label, e.g. 'Intel Xeon Processor, 2 cores'")] = None,
    precision: Annotated[PrecisionName | None, Query(description="the precision asked")] = None,
    precision_used: Annotated[RanPrecision | None, Query(description="the precision that ran")] = None,
    since: datetime | None = None,
    suite: Annotated[str | None, Query(description="only results of this suite (POST /suites)")] = None,
    config: Annotated[str | None, Query(description="every run of one configuration (a chart point's config key)")] = None,
    latest: Annotated[bool | None, Query(description="true: only the latest run of each configuration")] = None,
    max_memory_mb: Annotated[float | None, Query(ge=0, description="at most this much memory while measuring: device "
                                                 "memory on a GPU, the process's peak resident set on a CPU; results "
                                                 "without a measurement are left out")] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    format: Literal["json", "csv"] | None = None,
    accept: Annotated[str | None, Header()] = None,
) -> ResultsPublic | Response:
    filters = ResultFilters(backend=backend, engine=engine, model=model, hardware=hardware, precision=precision,
                            precision_used=precision_used, since=since, suite=suite, config=config, latest=latest,
                            max_memory_mb=max_memory_mb)
    items, total = list_results(session, filters, limit, offset)
    if format == "csv" or (format is None and accept is not None and "text/csv" in accept):
        return Response(to_csv(items), media_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="speedboard-results.csv"',
                                 "X-Total-Count": str(total)})
    return ResultsPublic(items=items, total=total)


@router.get("/{result_id}/runs", response_model=RunsPublic)
def read_runs(session: SessionDep, result_id: int) -> RunsPublic:
    """Each repeat's own figures (throughput, latency, stability gate, memory) that a result combines."""
    return list_runs(session, result_id)
