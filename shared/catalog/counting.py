"""Counting a custom variant's parameters on a CPU worker, and what the count decides.

POST /models stores a variant `pending` and publishes a count task by name (`publish_count`); a CPU worker
(worker_cpu.tasks.count_variant) runs `count_variant`: timm builds the model on the meta device in a subprocess with
a timeout (shared.ml.count_params), and the variant turns `ready` with its parameter count or `refused` with the
reason. So the API holds no ML library and no constructor can stall it.

Jobs naming a variant that is not ready stay queued and unpublished (shared.jobs.lifecycle.publish_job holds them);
the count publishes them, or fails them with the variant's reason. A count task the broker lost (it was away at
POST /models, or restarted) is sent again by the reaper (`recount_lost`).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from shared import InvalidRequest
from shared.catalog.names import parse_model_name
from shared.catalog.variants import PENDING, READY, REFUSED, InvalidVariant, check_kwargs
from shared.db.tables import CatalogEntry, Job, utcnow
from shared.jobs.broker import get_app
from shared.jobs.lifecycle import publish_job, update_job
from shared.jobs.presence import live_workers
from shared.settings import get_settings

log = logging.getLogger("speedboard.variants")

COUNT_TASK = "worker_cpu.count_variant"  # registered by the CPU worker; sent by name (the API imports no worker)
COUNT_QUEUE = "cpu"  # every CPU worker consumes it
COUNT_TIMEOUT_S = 120.0  # a constructor that builds for longer on the meta device is refused
# A variant still pending this long while a CPU worker is idle lost its count task: an idle worker counts in seconds.
RECOUNT_AFTER_S = 60.0


def publish_count(name: str) -> bool:
    """Send `name`'s count to the CPU workers; False (logged) when the broker is away: the reaper sends it later."""
    app = get_app()
    try:
        # A connection of its own, as shared.jobs.broker.publish does: the reaper's thread publishes too.
        with app.connection_for_write() as connection:
            app.send_task(COUNT_TASK, args=[name], queue=COUNT_QUEUE, connection=connection)
    except Exception as error:  # noqa: BLE001  (any broker failure: the variant stays pending, the reaper retries)
        log.warning("variant %s saved but its count not yet published: %s", name, error)
        return False
    return True


def count_params(base: str, kwargs: dict[str, Any], timeout_s: float = COUNT_TIMEOUT_S) -> float:
    """Millions of parameters of timm's `base` built with `kwargs` on the meta device (nothing allocated), counted in a
    process of its own; InvalidVariant with the reason when it cannot be."""
    try:
        done = subprocess.run([sys.executable, "-m", "shared.ml.count_params"], input=json.dumps([base, kwargs]),
                              capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as error:
        raise InvalidVariant(f"building {base} with these kwargs took over {timeout_s:g} s; register it again with "
                             "smaller sizes") from error
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1][-300:]  # the exception's own line
        raise InvalidVariant(f"the worker could not count the variant's parameters (exit {done.returncode}): {last}")
    answer = json.loads(lines[-1])
    if "error" in answer:
        raise InvalidVariant(f"timm could not build {base} with {kwargs}: {answer['error']}")
    return float(answer["params_m"])


def over_limit(name: str, params_m: float) -> str | None:
    """Why a model of `params_m` million parameters is refused on this server, None when it is not."""
    limit = get_settings().max_params_m
    if params_m <= limit:
        return None
    return (f"{name} has {params_m:,.0f} M parameters, above this server's limit of {limit:,.0f} M "
            "(SPEEDBOARD_MAX_PARAMS_M); register it again with smaller widths or depths")


def count_variant(session: Session, name: str) -> str:
    """Count `name` if it is still pending, record the outcome, and release the jobs waiting on it; its state after.
    A duplicate task (the reaper sent it again) finds the variant counted and does nothing."""
    entry = session.get(CatalogEntry, name)
    if entry is None or entry.kind != "variant":
        return "missing"
    if entry.state != PENDING:
        return entry.state
    registered = entry.created_at
    params_m: float | None = None
    try:
        # Checked again here: a row written behind the API's back must not make timm read a file or download.
        parse_model_name(entry.base or "")
        params_m = count_params(entry.base or "", check_kwargs(entry.kwargs or {}))
        reason = over_limit(name, params_m)
    except InvalidRequest as error:
        reason = error.message
    state = READY if reason is None else REFUSED
    if _record(session, name, registered, state=state, params_m=params_m, reason=reason):
        log.info("variant %s counted: %s (%s)", name, state, reason or f"{params_m} M parameters")
        release_jobs(session, name)
    return str(session.exec(select(CatalogEntry.state).where(col(CatalogEntry.name) == name)).one())


def _record(session: Session, name: str, registered: datetime, **values: Any) -> bool:
    """Store the count's outcome if the variant is still the pending one that was counted (a variant refused and
    registered again meanwhile is another, counted by its own task)."""
    statement = (update(CatalogEntry)
                 .where(col(CatalogEntry.name) == name, col(CatalogEntry.state) == PENDING,
                        col(CatalogEntry.created_at) == registered)
                 .values(updated_at=utcnow(), **values))
    outcome = session.execute(statement.execution_options(synchronize_session=False))
    session.commit()
    return bool(outcome.rowcount)  # type: ignore[attr-defined]


def release_jobs(session: Session, name: str) -> int:
    """Publish the queued jobs that waited for `name` to be counted, or fail them with the reason it was refused;
    how many. A publish that fails leaves its job unpublished: the reaper publishes it once the broker answers."""
    state, reason = session.exec(select(CatalogEntry.state, CatalogEntry.reason).where(col(CatalogEntry.name) == name)).one()
    waiting = session.exec(select(Job).where(col(Job.model) == name, col(Job.base_model).is_not(None),
                                             col(Job.status) == "queued")).all()
    released = 0
    for job in waiting:
        if state == READY and job.published_at is None:
            try:
                publish_job(session, job)
                released += 1
            except Exception as error:  # noqa: BLE001  (broker away: published_at stays empty, the reaper retries)
                log.warning("job %s of variant %s not yet published: %s", job.id, name, error)
        elif state == REFUSED:
            released += update_job(session, job.id, col(Job.status) == "queued", status="failed", finished_at=utcnow(),
                                   error=f"variant {name} was refused: {reason}", detail="failed: its variant was refused")
    return released


def recount_lost(session: Session) -> int:
    """The reaper's part: send again the count of every variant pending for over RECOUNT_AFTER_S while a CPU worker
    is idle (its task was lost), and fail the jobs still queued on a refused variant (submitted while it was being
    refused). How many variants and jobs it acted on."""
    acted = 0
    stale = utcnow() - timedelta(seconds=RECOUNT_AFTER_S)
    lost = session.exec(select(CatalogEntry.name).where(col(CatalogEntry.kind) == "variant",
                                                        col(CatalogEntry.state) == PENDING,
                                                        col(CatalogEntry.updated_at) < stale)).all()
    if lost and any(w.state == "idle" and COUNT_QUEUE in w.queues for w in live_workers(session)):
        for name in lost:
            if publish_count(name):  # not again for another RECOUNT_AFTER_S
                session.execute(update(CatalogEntry).where(col(CatalogEntry.name) == name, col(CatalogEntry.state) == PENDING)
                                .values(updated_at=utcnow()).execution_options(synchronize_session=False))
                session.commit()
                acted += 1
    refused = select(CatalogEntry.name).where(col(CatalogEntry.state) == REFUSED)
    stranded = session.exec(select(Job.model).where(col(Job.status) == "queued", col(Job.base_model).is_not(None),
                                                    col(Job.model).in_(refused)).distinct()).all()
    for name in stranded:
        acted += release_jobs(session, name)
    return acted


def held_details(session: Session, jobs: Sequence[Job]) -> dict[str, str]:
    """What a queued job naming a variant not yet counted waits for, by job id: one query, none for a page without
    such jobs."""
    names = {job.model for job in jobs if job.status == "queued" and job.base_model and job.published_at is None}
    if not names:
        return {}
    pending = set(session.exec(select(CatalogEntry.name).where(col(CatalogEntry.name).in_(names),
                                                               col(CatalogEntry.state) == PENDING)).all())
    return {job.id: f"waiting for a CPU worker to count the parameters of variant {job.model} (see GET /models/"
                    f"{job.model}); it is handed to a worker once counted"
            for job in jobs if job.model in pending and job.status == "queued" and job.published_at is None}
