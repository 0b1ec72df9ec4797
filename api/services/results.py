"""GET /results: every result, filtered, newest first, with the accuracy that applies and the runs it combines."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case
from sqlmodel import Session, col, func, select

from api.errors import NotFound
from api.schemas import ResultPublic, RunPublic, RunsPublic
from api.services.accuracy import load_book, with_accuracy
from shared.db.tables import Result, Run

# The memory a result's deployment needs: the device's on a GPU, the benchmark process's resident peak on a CPU.
MEMORY_MB = case((col(Result.backend) == "gpu", col(Result.device_memory_mb)), else_=col(Result.peak_rss_mb))


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
    max_memory_mb: float | None = None  # results whose memory was not measured are left out


def list_results(session: Session, filters: ResultFilters, limit: int, offset: int) -> tuple[list[ResultPublic], int]:
    """One page of results and the total matching: four queries (count, page, runs, accuracy book)."""
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
    if filters.max_memory_mb is not None:
        query = query.where(MEMORY_MB <= filters.max_memory_mb)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Result.created_at).desc(), col(Result.id).desc()).offset(offset).limit(limit))
    return results_public(session, rows.all()), total


def results_public(session: Session, rows: Sequence[Result]) -> list[ResultPublic]:
    """Results as the API shows them, with accuracy and run ids: two queries, whatever the number of rows."""
    book = load_book(session)
    runs = runs_of(session, [row.id for row in rows if row.id is not None])
    public = []
    for row in rows:
        result = with_accuracy(ResultPublic.model_validate(row, from_attributes=True), book)
        result.run_ids = [run_id for run_id, _ in runs.get(result.id, [])]
        public.append(result)
    return public


def newest_per_config(rows: Sequence[Any]) -> list[Any]:
    """One row per configuration, the newest: two workers finishing one configuration at once can both leave `latest`
    set. Sorted here, not in SQL: SQLite would rather scan every result in id order than sort the latest ones."""
    newest: dict[str, Any] = {}
    for row in sorted(rows, key=lambda row: row.id):
        newest[row.config_key] = row
    return list(newest.values())


def runs_of(session: Session, result_ids: Iterable[int]) -> dict[int, list[tuple[int, float]]]:
    """Each result's runs as (run id, throughput), in the order they ran."""
    ids = list(result_ids)
    found: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for start in range(0, len(ids), 1000):  # bounded IN lists
        query = select(Run.result_id, Run.id, Run.throughput).where(col(Run.result_id).in_(ids[start:start + 1000]))
        for result_id, run_id, throughput in session.exec(query.order_by(col(Run.repeat))):
            found[result_id].append((run_id, throughput))
    return found


def list_runs(session: Session, result_id: int) -> RunsPublic:
    if session.get(Result, result_id) is None:
        raise NotFound(f"no result with id {result_id}; list results with GET /results")
    runs = session.exec(select(Run).where(col(Run.result_id) == result_id).order_by(col(Run.repeat))).all()
    return RunsPublic(items=[RunPublic.model_validate(run, from_attributes=True) for run in runs], total=len(runs))
