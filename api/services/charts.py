"""What the chart page draws: one chart per backend, hardware, engine and precision that ran, with frontier and insights;
or, overlaid, one chart per backend, hardware and engine with each model's precisions joined by a line.

Reads the latest run of each configuration (an indexed flag), so it stays fast with many results; for one
suite, the newest of the suite's own runs of each configuration.
Points are plain dicts in the shape of `ChartPoint` (which documents them): a 1,000-point chart is hot,
and pydantic objects cost more than the query.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from api.services.accuracy import load_book
from api.services.results import MEMORY_MB, newest_per_config, runs_of
from shared.analysis.curves import Config, curve, curve_insight
from shared.analysis.frontier import Point, frontier_certainty, pareto_frontier
from shared.analysis.insights import write_insights
from shared.analysis.precisions import Ran, default_precision, gains_insights, lines
from shared.catalog.accuracy import AccuracyBook, unverified_accuracy
from shared.catalog.registry import lookup
from shared.db.tables import Result, Suite

PLOTTED = ("the latest run of each configuration (model, tag, engine, hardware, precision that ran, batch, input size, "
           "streams, CUDA graphs)")
COLUMNS = (Result.id, Result.job_id, Result.model, Result.pretrained_tag, Result.backend, Result.engine, Result.hardware,
           Result.precision, Result.precision_used, Result.throughput, Result.latency_ms, Result.batch_size,
           Result.streams, Result.input_size, Result.params_m, Result.gflops, Result.created_at, Result.runs,
           Result.stable, Result.config_key, Result.cuda_graphs, Result.method_version, Result.throughput_ci95,
           Result.throughput_cv, Result.latency_ci95, Result.repeats, Result.stable_after_s, Result.peak_rss_mb,
           Result.device_memory_mb, Result.artifact_mb, Result.achieved_gflops, Result.peak_share, Result.calibration)
OVERLAID = "all"  # an overlaid chart's precision: every precision that ran


class ChartPoint(BaseModel):
    result_id: int
    job_id: str
    label: str
    model: str
    pretrained_tag: str | None
    family: str | None
    top1: float | None
    top5: float | None
    top1_img_size: int | None
    top1_source: str | None
    throughput: float  # the mean over the job's repeats
    throughput_ci95: list[float] | None  # [low, high]; None with one run
    throughput_cv: float | None
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    latency_ms: dict[str, float]  # every percentile measured (mean, p50, p90, p95, p99), means over the repeats
    latency_ci95: dict[str, list[float] | None] | None  # per percentile
    repeats: int
    run_ids: list[int]
    stable_after_s: float | None
    peak_rss_mb: float | None
    device_memory_mb: float | None
    artifact_mb: float | None
    achieved_gflops: float | None
    peak_share: float | None
    batch_size: int
    streams: int
    input_size: int
    precision: str  # as asked (auto, fp32, fp16, bf16, int8); the chart is that of precision_used
    precision_used: str
    calibration: str | None  # int8: what activation ranges were calibrated on
    # Why top1 (the model's published figure, drawn as its accuracy) is not this engine's own, e.g. "random
    # calibration" for int8 calibrated on random inputs; None when the published figure applies.
    accuracy_unverified: str | None
    cuda_graphs: bool
    method_version: int
    params_m: float
    gflops: float
    hardware: str
    created_at: datetime
    runs: int
    stable: bool
    frontier: bool
    # A frontier point's share of bootstrap resamples of the runs in which it stays on the frontier; None off the
    # frontier or with one run.
    frontier_certainty: float | None
    runs_url: str


class CurvePoint(BaseModel):
    result_id: int
    batch_size: int
    streams: int
    throughput: float
    latency_p99_ms: float
    front: bool  # on the curve's own Pareto front (no configuration has more throughput at no more p99)


class ModelCurve(BaseModel):
    """One model's configurations in a chart (two or more): throughput against p99 latency."""

    label: str  # the model as the chart names it, without the configuration
    points: list[CurvePoint]  # by p99
    best_throughput: int  # result ids
    best_latency: int
    knee: int | None  # the front's knee (Kneedle); None when no configuration in between trades well
    insight: str


class PrecisionLine(BaseModel):
    """One model's points at different precisions (each its fastest configuration there), joined on an overlaid chart."""

    label: str  # the model as the chart names it, without the precision
    points: list[int]  # result ids, fp32, bf16, fp16, int8 in that order
    precisions: list[str]
    speedups: dict[str, float]  # precision -> throughput over the default precision's (auto's); empty without one


class Chart(BaseModel):
    key: str
    backend: str
    hardware: str
    engine: str
    precision: str  # the precision that ran; "all" on an overlaid chart
    precisions: list[str]  # the precisions of its points
    default_precision: str | None  # what `auto` ran as here, when an auto job was measured
    lines: list[PrecisionLine]  # overlaid charts only
    points: list[ChartPoint]
    frontier: list[int]  # result ids, by increasing throughput
    insights: list[str]  # about the speed-accuracy chart, then one per model with a curve
    curves: list[ModelCurve]


class ChartOptions(BaseModel):
    backends: list[str]
    hardware: list[str]
    precisions: list[str]
    suites: list[dict[str, Any]]


class ChartsPublic(BaseModel):
    plotted: str
    charts: list[Chart]
    options: ChartOptions


def chart_data(session: Session, backend: str | None, hardware: str | None, precision: str | None,
               suite: str | None, max_memory_mb: float | None = None, overlay: bool = False) -> dict[str, Any]:
    """The body of GET /charts/data, shaped as `ChartsPublic`; `precision` selects the precision that ran; `overlay`
    draws every precision of a backend, hardware and engine on one chart."""
    query = select(*COLUMNS)
    query = query.where(col(Result.suite_id) == suite) if suite else query.where(col(Result.latest))
    for column, value in ((Result.backend, backend), (Result.hardware, hardware), (Result.precision_used, precision)):
        if value is not None:
            query = query.where(col(column) == value)
    if max_memory_mb is not None:
        query = query.where(MEMORY_MB <= max_memory_mb)
    rows = newest_per_config(session.exec(query).all())
    book = load_book(session)
    runs = runs_of(session, [row.id for row in rows])
    groups: dict[tuple[str, str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        key = (row.backend, row.hardware, row.engine, OVERLAID if overlay else row.precision_used)
        groups[key].append(_point(row, book, runs.get(row.id, [])))
    charts = [_chart(key, points, runs) for key, points in sorted(groups.items())]
    return {"plotted": PLOTTED + (" within the suite" if suite else ""), "charts": charts,
            "options": _options(session).model_dump()}


def _point(row: Any, book: AccuracyBook, runs: list[tuple[int, float]]) -> dict[str, Any]:
    accuracy = book.lookup(row.model, row.pretrained_tag, row.input_size)
    info = lookup(row.model)
    default_tag = info.default_tag if info else None
    label = row.model if row.pretrained_tag in (None, default_tag) else f"{row.model}.{row.pretrained_tag}"
    variant = book.entries.get(row.model)
    if variant is not None and variant.kind == "variant" and variant.label:
        label = variant.label  # the name its author gave it, as the seed's chart said "LeViT-768*"
    latency = row.latency_ms or {}
    return dict(
        result_id=row.id, job_id=row.job_id, label=label, model=row.model, pretrained_tag=row.pretrained_tag,
        family=accuracy.family, top1=accuracy.top1, top5=accuracy.top5, top1_img_size=accuracy.top1_img_size,
        top1_source=accuracy.top1_source, throughput=row.throughput, throughput_ci95=row.throughput_ci95,
        throughput_cv=row.throughput_cv, latency_p50_ms=latency.get("p50"), latency_p99_ms=latency.get("p99"),
        latency_ms=latency,
        latency_ci95=row.latency_ci95, repeats=row.repeats, run_ids=[run_id for run_id, _ in runs],
        stable_after_s=row.stable_after_s, peak_rss_mb=row.peak_rss_mb, device_memory_mb=row.device_memory_mb,
        artifact_mb=row.artifact_mb, achieved_gflops=row.achieved_gflops, peak_share=row.peak_share,
        batch_size=row.batch_size, streams=row.streams, input_size=row.input_size,
        precision=row.precision, precision_used=row.precision_used, cuda_graphs=row.cuda_graphs,
        calibration=row.calibration,
        accuracy_unverified=unverified_accuracy(row.calibration, accuracy.top1),
        method_version=row.method_version, params_m=row.params_m, gflops=row.gflops,
        hardware=row.hardware, created_at=row.created_at.isoformat(), runs=row.runs, stable=row.stable, frontier=False,
        frontier_certainty=None, runs_url=f"/results?config={row.config_key}&limit=1000",  # the key is hex: nothing to escape
    )


def _chart(key: tuple[str, str, str, str], points: list[dict[str, Any]],
           runs: dict[int, list[tuple[int, float]]]) -> dict[str, Any]:
    backend, hardware, engine, precision = key
    precisions = sorted({p["precision_used"] for p in points})
    default = default_precision(_ran(points))
    joined = lines(_ran(points)) if precision == OVERLAID else []
    if precision == OVERLAID:  # one model's precisions are different points: say which is which
        for point in points:
            point["label"] += f" {point['precision_used'].upper()}"
    curves = _curves(points, gpu=backend == "gpu")
    _disambiguate(points)
    known = [Point(str(p["result_id"]), p["label"], p["family"], p["throughput"], p["top1"],
                   throughput_ci95=tuple(p["throughput_ci95"]) if p["throughput_ci95"] else None,
                   peak_share=p["peak_share"], unverified=bool(p["accuracy_unverified"]))
             for p in points if p["top1"] is not None and p["throughput"] > 0]
    frontier = pareto_frontier(known)
    certainty = frontier_certainty(known, {p.key: [t for _, t in runs.get(int(p.key), [])] for p in known})
    on_frontier = {p.key for p in frontier}
    for point in points:
        point["frontier"] = str(point["result_id"]) in on_frontier
        point["frontier_certainty"] = certainty.get(str(point["result_id"])) if point["frontier"] else None
    insights = [*gains_insights(joined, default), *_unverified_insight(points),
                *write_insights(_fastest_configuration(known, points)), *(c["insight"] for c in curves)]
    return {"key": "|".join(key), "backend": backend, "hardware": hardware, "engine": engine, "precision": precision,
            "precisions": precisions, "default_precision": default,
            "lines": [{"label": line.model, "points": line.points, "precisions": line.precisions, "speedups":
                       {p: round(r, 3) for p, r in line.speedups.items()}} for line in joined],
            "points": points, "frontier": [int(p.key) for p in frontier], "insights": insights, "curves": curves}


def _ran(points: list[dict[str, Any]]) -> list[Ran]:
    """The points as shared.analysis.precisions sees them: a model is its label (before any precision or
    configuration is added to it), tag and input size."""
    return [Ran(p["result_id"], p["label"], p["precision"], p["precision_used"], p["throughput"], p["input_size"])
            for p in points]


def _unverified_insight(points: list[dict[str, Any]]) -> list[str]:
    unverified = [p for p in points if p["accuracy_unverified"]]
    if not unverified:
        return []
    reasons = sorted({p["accuracy_unverified"] for p in unverified})
    count = len(unverified)
    its = "its" if count == 1 else "their"
    return [f"{count} point{'s' if count != 1 else ''} quantized to INT8 with {' or '.join(reasons)}: drawn at {its} model's "
            "published top-1, which was measured on the float model, not on this engine (accuracy unverified)."]


def _fastest_configuration(known: list[Point], points: list[dict[str, Any]]) -> list[Point]:
    """Each model once per precision that ran, at its highest throughput: its other configurations are dominated by
    it (same accuracy, less speed), which says nothing about models; the curves' sentences compare a model's
    configurations. (Per precision: on an overlaid chart a model's float points stay in, not only its INT8 one.)"""
    model_of = {str(p["result_id"]): (p["model"], p["pretrained_tag"], p["input_size"], p["precision_used"])
                for p in points}
    fastest: dict[tuple[Any, ...], Point] = {}
    for point in known:
        model = model_of[point.key]
        if model not in fastest or point.throughput > fastest[model].throughput:
            fastest[model] = point
    return list(fastest.values())


def _curves(points: list[dict[str, Any]], gpu: bool) -> list[dict[str, Any]]:
    """Throughput against p99 for each model measured at two or more configurations (batch, streams)."""
    by_model: dict[tuple[str, Any, int, bool], list[dict[str, Any]]] = defaultdict(list)
    for point in points:
        if point["latency_p99_ms"] and point["throughput"] > 0:
            by_model[(point["label"], point["pretrained_tag"], point["input_size"], point["cuda_graphs"])].append(point)
    curves = []
    for (label, *_), same in sorted(by_model.items(), key=lambda item: item[0][0]):
        if len(same) < 2:
            continue
        found = curve([Config(p["result_id"], p["batch_size"], p["streams"], p["throughput"], p["latency_p99_ms"], gpu)
                       for p in same])
        front = {c.key for c in found.front}
        curves.append({
            "label": label, "insight": curve_insight(label, found),
            "points": [{"result_id": c.key, "batch_size": c.batch_size, "streams": c.streams, "throughput": c.throughput,
                        "latency_p99_ms": c.p99_ms, "front": c.key in front} for c in found.configs],
            "best_throughput": found.best_throughput.key, "best_latency": found.best_latency.key,
            "knee": found.knee.key if found.knee else None,
        })
    return curves


def _disambiguate(points: list[dict[str, Any]]) -> None:
    # One model at several batch sizes, input sizes, stream counts or with and without CUDA graphs: say which is which.
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for point in points:
        by_label[point["label"]].append(point)
    for same in by_label.values():
        if len(same) > 1:
            for point in same:
                graphs = ", CUDA graphs" if point["cuda_graphs"] else ""
                point["label"] += f" (bs {point['batch_size']}, {point['input_size']}px, {point['streams']} streams{graphs})"


def _options(session: Session) -> ChartOptions:
    ran = select(Result.backend, Result.hardware, Result.precision_used).where(col(Result.latest)).distinct()
    combos = session.exec(ran).all()
    suites = session.exec(select(Suite).order_by(col(Suite.created_at).desc()).limit(50)).all()
    return ChartOptions(
        backends=sorted({c[0] for c in combos}), hardware=sorted({c[1] for c in combos}),
        precisions=sorted({c[2] for c in combos}),
        suites=[{"id": s.id, "kind": s.kind, "name": s.name, "backend": s.backend, "created_at": s.created_at.isoformat()}
                for s in suites],
    )
