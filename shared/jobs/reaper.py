"""Finds jobs that nobody is looking after and puts them right, and forgets workers not heard from within the queue
TTL; runs in every worker and in the API.

Every action is a conditional update, so any number of reapers may run at once.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlmodel import Session, col, or_, select

from shared.catalog.counting import recount_lost
from shared.db.engine import session_scope
from shared.db.tables import Job, utcnow
from shared.jobs.lifecycle import attempt_lost, publish_job, update_job
from shared.jobs.presence import forget_workers, live_workers
from shared.settings import get_settings

log = logging.getLogger("speedboard.reaper")

WORKER_GONE = "the worker stopped sending heartbeats (killed, out of memory, or its machine went away)"


def reap_once(session: Session) -> dict[str, int]:
    settings = get_settings()
    now = utcnow()
    counts = {"retried": 0, "expired": 0, "republished": 0, "forgotten": 0}
    stale = now - timedelta(seconds=settings.heartbeat_timeout_s)
    orphans = select(Job).where(col(Job.status).in_(("running", "cancelling")), col(Job.heartbeat_at) < stale)
    for job in session.exec(orphans).all():
        attempt_lost(session, job, WORKER_GONE, expected_status=job.status, stale_before=stale)
        counts["retried"] += 1

    too_old = now - timedelta(seconds=settings.queue_ttl_s)
    for job in session.exec(select(Job).where(col(Job.status) == "queued", col(Job.created_at) < too_old)).all():
        hours = settings.queue_ttl_s / 3600
        wanted = (f"worker {job.target_worker}" if job.target_worker else
                  f"{job.backend} worker on {job.target_hardware}" if job.target_hardware else f"{job.backend} worker")
        error = f"no {wanted} took this job within {hours:g} h; start one (see GET /workers) and submit it again"
        counts["expired"] += update_job(session, job.id, col(Job.status) == "queued", status="failed", error=error,
                                  finished_at=now, detail="failed: no worker came")

    # A queued job an idle worker has not taken within the window lost its message (broker restart): send it again.
    unsent = now - timedelta(seconds=settings.redelivery_s)
    lost = select(Job).where(col(Job.status) == "queued", or_(col(Job.published_at).is_(None), col(Job.published_at) < unsent))
    idle_queues = {queue for w in live_workers(session) if w.state == "idle" for queue in w.queues}
    for job in session.exec(lost).all():
        if job.queue in idle_queues or job.published_at is None:
            try:
                publish_job(session, job)
                counts["republished"] += 1
            except Exception as error:  # noqa: BLE001  (broker down: try again next round)
                log.warning("could not re-publish job %s: %s", job.id, error)
    counts["forgotten"] = forget_workers(session)
    counts["recounted"] = recount_lost(session)  # custom variants whose count task was lost, and their jobs
    return counts


def start_reaper(stop: threading.Event) -> threading.Thread:
    def loop() -> None:
        while not stop.wait(get_settings().reaper_interval_s):
            try:
                with session_scope() as session:
                    counts = reap_once(session)
                if any(counts.values()):
                    log.info("reaper: %s", counts)
            except Exception:  # noqa: BLE001  (the database may be briefly away; keep reaping)
                log.exception("reaper round failed")

    thread = threading.Thread(target=loop, name="speedboard-reaper", daemon=True)
    thread.start()
    return thread
