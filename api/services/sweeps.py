"""Sweeps: models × batch sizes × streams, one job per point, so each model's best configuration can be found.

Default streams follow the physical cores of the worker the sweep targets (or the largest connected one); points
whose inputs alone clearly cannot fit that worker's memory are skipped with the reason, not queued to fail.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from api.access import owner_of
from api.limits import check_queue
from api.schemas import JobCreate, SweepCreate, SweepPublic, SweepsPublic
from api.services.job_groups import cancel_group, get_group, jobs_of, page_of, progress
from api.services.job_requests import job_need, placement, resolve
from shared import InvalidRequest
from shared.access.roles import Principal
from shared.db.tables import JobSpec, Suite, Worker
from shared.jobs.lifecycle import submit_jobs
from shared.jobs.memory import too_big as too_big_for
from shared.jobs.presence import known_workers, live_workers
from shared.jobs.queues import hardware_slug
from shared.jobs.vocabulary import MAX_SWEEP_POINTS, SWEEP_BATCH_SIZES


def create_sweep(session: Session, body: SweepCreate, principal: Principal | None) -> SweepPublic:
    """Check every model, plan every point, then queue one job per point that fits, all in one transaction: a bad
    model refuses the whole sweep."""
    if body.backend == "gpu" and body.streams:
        raise InvalidRequest("streams applies to cpu sweeps only: a GPU engine runs one stream of whole batches; "
                             "sweep batch_sizes instead")
    batch_sizes = sorted(set(body.batch_sizes or SWEEP_BATCH_SIZES[body.backend]))
    given_streams = sorted(set(body.streams)) if body.streams else None
    where = placement(_request(body, body.models[0], batch_sizes[0], None), session)
    specs: dict[tuple[str, str | None], JobSpec] = {}  # a model named twice (or by its default tag too) is swept once
    names: list[str] = []  # as the user named them
    for model in body.models:  # each resolved (and checked against the time limit) once
        spec = resolve(_request(body, model, batch_sizes[0], None), session)
        if (spec.model, spec.pretrained_tag) not in specs:
            specs[(spec.model, spec.pretrained_tag)] = spec
            names.append(model.strip())
    sizing = sizing_worker(session, body)
    streams: list[int | None] = [None]
    if body.backend == "cpu":
        streams = list(given_streams) if given_streams else default_streams(sizing)
        if not given_streams and not (body.worker or body.hardware) and sizing is not None:
            # Streams follow this worker's cores: its hardware runs the sweep, not a smaller worker that happens to be free.
            where = placement(_request(body.model_copy(update={"hardware": sizing.hardware}), body.models[0],
                                       batch_sizes[0], None), session)
    points = len(specs) * len(batch_sizes) * len(streams)
    if points > MAX_SWEEP_POINTS:
        raise InvalidRequest(f"this sweep has {points} points ({len(specs)} models × {len(batch_sizes)} batch sizes × "
                             f"{len(streams)} streams), more than {MAX_SWEEP_POINTS}; sweep fewer models or axes at once")
    planned: list[JobSpec] = []
    skipped: list[dict[str, Any]] = []
    for spec in specs.values():
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
    engine = planned[0].engine
    plan = {"models": names, "batch_sizes": batch_sizes, "streams": streams, "engine": engine, "precision": body.precision,
            "duration_s": body.duration_s, "hardware": where["target_hardware"],
            "streams_from": sizing.name if sizing is not None and body.backend == "cpu" and not given_streams else None}
    owner = owner_of(principal)
    check_queue(session, owner, len(planned), "sweep")
    sweep = Suite(kind="sweep", name=body.name, backend=body.backend, repeats=body.repeats, plan=plan, skipped=skipped,
                  owner=owner)
    submit_jobs(session, planned, group=sweep, suite_id=sweep.id, owner=owner, **where)
    return sweep_progress(session, sweep.id)


def _request(body: SweepCreate, model: str, batch_size: int, streams: int | None) -> JobCreate:
    return JobCreate(model=model, backend=body.backend, engine=body.engine, precision=body.precision,
                     batch_size=batch_size, streams=streams, duration_s=body.duration_s, repeats=body.repeats,
                     worker=body.worker, hardware=body.hardware)


def sizing_worker(session: Session, body: SweepCreate) -> Worker | None:
    """The worker whose cores and memory the sweep is planned for: the one it names, else the largest on its hardware
    or backend. Connected ones first; a named worker or hardware with none connected is planned as it last announced
    itself, since the sweep waits for it."""
    for workers in (live_workers(session), known_workers(session) if body.worker or body.hardware else []):
        chosen = [w for w in workers if w.backend == body.backend and targeted(w, body)]
        if chosen:
            return max(chosen, key=lambda w: (w.physical_cores or 0, w.memory_gb or 0, w.name))
    return None


def targeted(worker: Worker, body: SweepCreate) -> bool:
    if body.worker:
        return worker.name == body.worker
    return not body.hardware or hardware_slug(worker.hardware) == hardware_slug(body.hardware)


def default_streams(worker: Worker | None) -> list[int | None]:
    """1, half and all of the worker's physical cores, without repeats (on 2 cores: 1 and 2)."""
    if worker is None or not worker.physical_cores:
        raise InvalidRequest("no connected cpu worker (of the one named) says how many cores it has, so the default "
                             "streams (1, half and all of the physical cores) cannot be chosen; start a worker "
                             "(make worker) and try again, or give streams, e.g. [1, 2]")
    cores = worker.physical_cores
    return list(sorted({1, max(1, cores // 2), cores}))


def too_big(spec: JobSpec, worker: Worker | None) -> str | None:
    """Why a point clearly cannot fit the sizing worker's memory (its inputs in flight and its weights alone exceed it)."""
    if worker is None:
        return None
    return too_big_for(job_need(spec, spec.streams or 1), worker.memory_gb, worker.name)


def sweep_progress(session: Session, sweep_id: str) -> SweepPublic:
    sweep = get_group(session, sweep_id, "sweep")
    return _public(sweep, progress(sweep, jobs_of(session, sweep_id)))


def list_sweeps(session: Session, limit: int, offset: int) -> SweepsPublic:
    groups, total = page_of(session, "sweep", limit, offset)
    return SweepsPublic(items=[_public(sweep, progress(sweep, jobs)) for sweep, jobs in groups], total=total)


def cancel_sweep(session: Session, sweep_id: str, principal: Principal | None) -> SweepPublic:
    cancel_group(session, get_group(session, sweep_id, "sweep"), principal)
    return sweep_progress(session, sweep_id)


def _public(sweep: Suite, fields: dict[str, Any]) -> SweepPublic:
    plan = sweep.plan or {}
    return SweepPublic(**fields, models=plan.get("models", []), batch_sizes=plan.get("batch_sizes", []),
                       streams=plan.get("streams", []), streams_from=plan.get("streams_from"),
                       engine=plan.get("engine", ""), precision=plan.get("precision", ""),
                       duration_s=plan.get("duration_s", 0.0), skipped=sweep.skipped)
