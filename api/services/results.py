"""GET /results: every run, filtered, newest first, with the accuracy that applies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from api.schemas import ResultPublic
from api.services.accuracy import load_book, results_public
from shared.db.tables import Result


@dataclass(frozen=True)
class ResultFilters:
    backend: str | None = None
    engine: str | None = None
    model: str | None = None  # an architecture (every tag) or arch.tag
    hardware: str | None = None
    precision: str | None = None  # asked
    precision_used: str | None = None  # ran
    since: datetime | None = None
    suite: str | None = None
    config: str | None = None
    latest: bool | None = None


def list_results(session: Session, filters: ResultFilters, limit: int, offset: int) -> tuple[list[ResultPublic], int]:
    """One page of results and the total matching: three queries (count, page, accuracy book)."""
    query = select(Result)
    exact: list[tuple[Any, Any]] = [
        (Result.backend, filters.backend), (Result.engine, filters.engine), (Result.hardware, filters.hardware),
        (Result.precision, filters.precision), (Result.precision_used, filters.precision_used),
        (Result.suite_id, filters.suite), (Result.config_key, filters.config), (Result.latest, filters.latest)]
    if filters.model:
        arch, _, tag = filters.model.partition(".")
        exact += [(Result.model, arch)] + ([(Result.pretrained_tag, tag)] if tag else [])
    for column, value in exact:
        if value is not None:
            query = query.where(col(column) == value)
    if filters.since is not None:
        query = query.where(col(Result.created_at) >= filters.since)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Result.created_at).desc(), col(Result.id).desc()).offset(offset).limit(limit))
    return results_public(rows, load_book(session)), total
