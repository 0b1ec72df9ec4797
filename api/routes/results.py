"""GET /results as JSON or CSV, newest first, with the filters the charts and users need."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response
from sqlmodel import col, func, select

from api.csv_export import to_csv
from api.deps import SessionDep
from api.schemas import MAX_OFFSET
from shared.catalog.accuracy import AccuracyBook, with_accuracy
from shared.db.tables import BackendName, CatalogEntry, PrecisionName, RanPrecision, Result, ResultPublic, ResultsPublic

router = APIRouter(prefix="/results", tags=["results"])


@router.get("", response_model=ResultsPublic, responses={200: {"content": {"text/csv": {}}}})
def list_results(
    session: SessionDep,
    backend: BackendName | None = None,
    engine: str | None = None,
    model: Annotated[str | None, Query(description="an architecture (every tag) or arch.tag")] = None,
    hardware: Annotated[str | None, Query(description="exact hardware label, e.g. 'Intel Xeon Processor, 2 cores'")] = None,
    precision: Annotated[PrecisionName | None, Query(description="the precision asked")] = None,
    precision_used: Annotated[RanPrecision | None, Query(description="the precision that ran")] = None,
    since: datetime | None = None,
    suite: Annotated[str | None, Query(description="only results of this suite (POST /suites)")] = None,
    config: Annotated[str | None, Query(description="every run of one configuration (a chart point's config key)")] = None,
    latest: Annotated[bool | None, Query(description="true: only the latest run of each configuration")] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    format: Literal["json", "csv"] | None = None,
    accept: Annotated[str | None, Header()] = None,
) -> ResultsPublic | Response:
    query = select(Result)
    for column, value in ((Result.backend, backend), (Result.engine, engine), (Result.hardware, hardware),
                          (Result.precision, precision), (Result.precision_used, precision_used)):
        if value is not None:
            query = query.where(col(column) == value)
    if model:
        arch, _, tag = model.partition(".")
        query = query.where(col(Result.model) == arch)
        if tag:
            query = query.where(col(Result.pretrained_tag) == tag)
    if since is not None:
        query = query.where(col(Result.created_at) >= since)
    for column, value in ((Result.suite_id, suite), (Result.config_key, config), (Result.latest, latest)):
        if value is not None:
            query = query.where(col(column) == value)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Result.created_at).desc(), col(Result.id).desc()).offset(offset).limit(limit))
    book = AccuracyBook.of(session.exec(select(CatalogEntry)).all())
    items = [with_accuracy(ResultPublic.model_validate(row, from_attributes=True), book) for row in rows]
    if format == "csv" or (format is None and accept is not None and "text/csv" in accept):
        return Response(to_csv(items), media_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="speedboard-results.csv"',
                                 "X-Total-Count": str(total)})
    return ResultsPublic(items=items, total=total)
