"""Sweeps: models × batch sizes × streams, one job per point, so each model's best configuration can be found.

Default streams follow the physical cores of the worker the sweep targets (or the largest connected one); points
whose inputs alone clearly cannot fit that worker's memory are skipped with the reason, not queued to fail.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from api.schemas import JobCreate, SweepCreate, SweepPublic, SweepsPublic
from api.services.job_groups import cancel_group, get_group, jobs_of, page_of, progress
from api.services.job_requests import placement, resolve
from shared import InvalidRequest
from shared.catalog.registry import lookup
from shared.db.tables import JobSpec, Suite, Worker
from shared.jobs.lifecycle import submit_job
from shared.jobs.presence import live_workers
from shared.jobs.vocabulary import MAX_SWEEP_POINTS, SWEEP_BATCH_SIZES, default_engine

BYTES_PER_VALUE = 4  # inputs and weights as the model is built: fp32


def create_sweep(session: Session, body: SweepCreate) -> SweepPublic:
    """Plan every point, refuse the whole sweep if any model is refused, then queue one job per point that fits."""
    if body.backend == "gpu" and body.streams:
        raise InvalidRequest("streams applies to cpu sweeps only: a GPU engine runs one stream of whole batches; "
                             "sweep batch_sizes instead")
    sizing = sizing_worker(session, body)
    models = list(dict.fromkeys(name.strip() for name in body.models))
    batch_sizes = sorted(set(body.batch_sizes or SWEEP_BATCH_SIZES[body.backend]))
    streams: list[int | None] = [None]
    if body.backend == "cpu":
        streams = list(sorted(set(body.streams))) if body.streams else default_streams(sizing)
    points = len(models) * len(batch_sizes) * len(streams)
    if points > MAX_SWEEP_POINTS:
        raise InvalidRequest(f"this sweep has {points} points ({len(models)} models × {len(batch_sizes)} batch sizes × "
                             f"{len(streams)} streams), more than {MAX_SWEEP_POINTS}; sweep fewer models or axes at once")
    first = _request(body, models[0], batch_sizes[0], streams[0])
    where = placement(first, session)
    planned: list[JobSpec] = []
    skipped: list[dict[str, Any]] = []
    for model in models:  # each model resolved (and checked against the time limit) once, before anything is queued
        spec = resolve(_request(body, model, batch_sizes[0], streams[0]), session)
        for batch_size in batch_sizes:
            for count in streams:
                point = spec.model_copy(update={"batch_size": batch_size, "streams": count})
                why = too_big(point, sizing)
                if why:
                    skipped.append({"model": point.model, "batch_size": batch_size, "streams": count, "reason": why})
                else:
                    planned.append(point)
    if not planned:
        raise InvalidRequest(f"none of this sweep's {points} points fits: {skipped[0]['reason']}; "
                             "sweep smaller batch sizes or streams")
    plan = {"models": models, "batch_sizes": batch_sizes, "streams": streams,
            "engine": first.engine or default_engine(body.backend), "precision": body.precision, "duration_s": body.duration_s,
            "streams_from": sizing.name if sizing is not None and body.backend == "cpu" and not body.streams else None}
    sweep = Suite(kind="sweep", name=body.name, backend=body.backend, repeats=body.repeats, plan=plan, skipped=skipped)
    session.add(sweep)
    session.commit()
    for spec in planned:
        submit_job(session, spec, suite_id=sweep.id, **where)
    return sweep_progress(session, sweep.id)


def _request(body: SweepCreate, model: str, batch_size: int, streams: int | None) -> JobCreate:
    return JobCreate(model=model, backend=body.backend, engine=body.engine, precision=body.precision,
                     batch_size=batch_size, streams=streams, duration_s=body.duration_s, repeats=body.repeats,
                     worker=body.worker, hardware=body.hardware)


def sizing_worker(session: Session, body: SweepCreate) -> Worker | None:
    """The connected worker whose cores and memory the sweep is planned for: the one it names, else the largest
    on its hardware or backend."""
    workers = [w for w in live_workers(session) if w.backend == body.backend]
    if body.worker:
        workers = [w for w in workers if w.name == body.worker]
    elif body.hardware:
        workers = [w for w in workers if w.hardware == body.hardware]
    return max(workers, key=lambda w: (w.physical_cores or 0, w.memory_gb or 0, w.name), default=None)


def default_streams(worker: Worker | None) -> list[int | None]:
    """1, half and all of the worker's physical cores, without repeats (on 2 cores: 1 and 2)."""
    if worker is None or not worker.physical_cores:
        raise InvalidRequest("no connected cpu worker (of the one named) says how many cores it has, so the default "
                             "streams (1, half and all of the physical cores) cannot be chosen; start a worker "
                             "(make worker) and try again, or give streams, e.g. [1, 2]")
    cores = worker.physical_cores
    return list(sorted({1, max(1, cores // 2), cores}))


def too_big(spec: JobSpec, worker: Worker | None) -> str | None:
    """Why a point clearly cannot fit the worker's memory (its inputs in flight and its weights alone exceed it)."""
    if worker is None or not worker.memory_gb:
        return None
    in_flight = spec.streams or 1  # a CPU engine keeps one request per stream in flight; a GPU engine one batch
    input_mb = in_flight * spec.batch_size * 3 * spec.input_size ** 2 * BYTES_PER_VALUE / 2**20
    info = lookup(spec.base_model or spec.model)
    weights_mb = (info.params_m or 0.0) * 1e6 * BYTES_PER_VALUE / 2**20 if info else 0.0
    memory_mb = worker.memory_gb * 1024
    if input_mb + weights_mb <= memory_mb:
        return None
    return (f"its inputs in flight ({in_flight} × batch {spec.batch_size} × 3 × {spec.input_size}² fp32, "
            f"{input_mb:,.0f} MB) and weights ({weights_mb:,.0f} MB) alone exceed the {memory_mb:,.0f} MB of {worker.name}")


def sweep_progress(session: Session, sweep_id: str) -> SweepPublic:
    sweep = get_group(session, sweep_id, "sweep")
    return _public(sweep, progress(sweep, jobs_of(session, sweep_id)))


def list_sweeps(session: Session, limit: int, offset: int) -> SweepsPublic:
    groups, total = page_of(session, "sweep", limit, offset)
    return SweepsPublic(items=[_public(sweep, progress(sweep, jobs)) for sweep, jobs in groups], total=total)


def cancel_sweep(session: Session, sweep_id: str) -> SweepPublic:
    cancel_group(session, get_group(session, sweep_id, "sweep"))
    return sweep_progress(session, sweep_id)


def _public(sweep: Suite, fields: dict[str, Any]) -> SweepPublic:
    plan = sweep.plan or {}
    return SweepPublic(**fields, models=plan.get("models", []), batch_sizes=plan.get("batch_sizes", []),
                       streams=plan.get("streams", []), streams_from=plan.get("streams_from"),
                       engine=plan.get("engine", ""), precision=plan.get("precision", ""),
                       duration_s=plan.get("duration_s", 0.0), skipped=sweep.skipped)
