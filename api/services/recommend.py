"""GET /recommend: which measured models and configurations meet a deployment budget, best first.

Judges the latest run of every configuration (means, and their 95 % intervals where repeats exist) with
shared.analysis.budget; this module only reads the results and the accuracy book and shapes the answer.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from api.errors import NotFound
from api.services.accuracy import load_book
from api.services.results import newest_per_config, runs_of
from shared.analysis.budget import Budget, Candidate, Verdict, answer, recommend
from shared.catalog.accuracy import unverified_accuracy
from shared.db.tables import Result, Suite

COLUMNS = (Result.id, Result.model, Result.pretrained_tag, Result.backend, Result.engine, Result.hardware,
           Result.precision, Result.precision_used, Result.batch_size, Result.streams, Result.input_size,
           Result.cuda_graphs, Result.throughput, Result.throughput_ci95, Result.latency_ms, Result.latency_ci95,
           Result.repeats, Result.config_key, Result.peak_rss_mb, Result.device_memory_mb, Result.created_at,
           Result.calibration)


def recommendation(session: Session, budget: Budget, backend: str | None, hardware: str | None, engine: str | None,
                   precision: str | None, misses_limit: int, suite: str | None = None,
                   limit: int | None = None, include_unverified: bool = False) -> dict[str, Any]:
    """`suite`: judge that suite's or sweep's own newest run of each configuration, as its chart draws them;
    `limit`: list at most that many items and unranked (`total` still counts every item);
    `include_unverified`: rank int8 results calibrated on random inputs at their model's published top-1 (each
    flagged); otherwise they are unranked, their accuracy unmeasured."""
    if suite is not None and session.get(Suite, suite) is None:
        raise NotFound(f"no suite or sweep with id {suite}; list them with GET /suites and GET /sweeps")
    query = select(*COLUMNS)
    query = query.where(col(Result.suite_id) == suite) if suite else query.where(col(Result.latest))
    for column, value in ((Result.backend, backend), (Result.hardware, hardware), (Result.engine, engine),
                          (Result.precision_used, precision)):
        if value is not None:
            query = query.where(col(column) == value)
    rows = {row.id: row for row in newest_per_config(session.exec(query).all())}
    book = load_book(session)
    published = {row.id: book.lookup(row.model, row.pretrained_tag, row.input_size).top1 for row in rows.values()}
    candidates = [_candidate(row, published[row.id], include_unverified) for row in rows.values()]
    found = recommend(candidates, budget, misses_limit=misses_limit)
    items, unranked = found.items[:limit], found.unranked[:limit]
    runs = runs_of(session, [v.candidate.key for v in (*items, *unranked, *found.misses)])  # only of those listed
    shape = lambda verdicts: [_item(v, rows[v.candidate.key], runs.get(v.candidate.key, []),  # noqa: E731
                                    unverified_accuracy(rows[v.candidate.key].calibration, published[v.candidate.key]))
                              for v in verdicts]
    return {"items": shape(items), "unranked": shape(unranked), "misses": shape(found.misses),
            "total": len(found.items), "considered": found.considered, "budget": budget.describe(),
            "answer": answer(found, budget, _where(hardware, rows.values()))}


def config_label(model: str, batch_size: int, streams: int, backend: str, precision_used: str = "",
                 calibration: str | None = None) -> str:
    """e.g. "resnet50 (batch 8 × 2 streams)"; an int8 configuration says so ("resnet50 (batch 1 × 2 streams, int8)"):
    beside the float one it would otherwise read the same. So does one asked as int8 that ran mostly in float."""
    quantized = ", int8" if precision_used == "int8" else f", asked int8, ran {precision_used}" if calibration else ""
    if backend == "gpu":
        return f"{model} (batch {batch_size}{quantized})"
    return f"{model} (batch {batch_size} × {streams} stream{'s' if streams != 1 else ''}{quantized})"


def _candidate(row: Any, top1: float | None, include_unverified: bool) -> Candidate:
    name = f"{row.model}.{row.pretrained_tag}" if row.pretrained_tag else row.model
    memory = row.device_memory_mb if row.backend == "gpu" else row.peak_rss_mb
    label = config_label(name, row.batch_size, row.streams, row.backend, row.precision_used, row.calibration)
    why = unverified_accuracy(row.calibration, top1)
    withheld = None
    if why and not include_unverified:
        withheld = (f"{top1:g} % is the float model's published top-1, unmeasured on this {row.precision_used} engine "
                    f"({why}); include_unverified=true ranks it at that figure")
    return Candidate(key=row.id, label=label, throughput=row.throughput,
                     throughput_ci95=tuple(row.throughput_ci95) if row.throughput_ci95 else None,
                     latency_ms=row.latency_ms or {}, latency_ci95=row.latency_ci95,
                     top1=None if withheld else top1, memory_mb=memory, model=name, withheld=withheld,
                     unverified=bool(why) and include_unverified)


def _item(verdict: Verdict, row: Any, runs: list[tuple[int, float]], unverified: str | None) -> dict[str, Any]:
    return {
        "model": row.model, "pretrained_tag": row.pretrained_tag, "label": verdict.candidate.label,
        "backend": row.backend, "engine": row.engine, "hardware": row.hardware, "precision": row.precision,
        "precision_used": row.precision_used, "batch_size": row.batch_size, "streams": row.streams,
        "input_size": row.input_size, "cuda_graphs": row.cuda_graphs, "throughput": row.throughput,
        "throughput_ci95": row.throughput_ci95, "latency_ms": row.latency_ms, "latency_ci95": row.latency_ci95,
        "memory_mb": verdict.candidate.memory_mb, "top1": verdict.candidate.top1, "repeats": row.repeats,
        "verdict": verdict.verdict, "straddles": verdict.straddles,
        "misses_by": {name: vars(miss) for name, miss in verdict.misses_by.items()},
        "accuracy_unverified": unverified, "calibration": row.calibration,
        "reason": verdict.reason, "result_ids": [row.id], "run_ids": [run_id for run_id, _ in runs],
        "measured_at": row.created_at.isoformat(),
    }


def _where(hardware: str | None, rows: Any) -> str:
    if hardware:
        return hardware
    machines = {row.hardware for row in rows}
    if not machines:
        return "any machine"
    return next(iter(machines)) if len(machines) == 1 else "the measured machines"

