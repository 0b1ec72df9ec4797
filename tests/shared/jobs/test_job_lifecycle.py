"""Claims, heartbeats, retries, cancellation and the reaper, on SQLite and PostgreSQL for real."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, col

from shared.db.engine import session_scope
from shared.db.tables import Job, JobSpec, Worker, utcnow
from shared.jobs.lifecycle import (
    JobFinished,
    attempt_lost,
    cancel_job,
    claim_job,
    finish_succeeded,
    get_job,
    heartbeat,
    submit_job,
)
from shared.jobs.presence import announce, waiting_details
from shared.jobs.reaper import reap_once
from tests.conftest import Stack
from tests.factories import make_result, make_run

SPEC = JobSpec(model="resnet18", pretrained_tag="a1_in1k", backend="cpu", engine="openvino", input_size=224)


@pytest.fixture
def session(migrated: Stack) -> Session:
    with session_scope() as session:
        yield session


def age(session: Session, job_id: str, **seconds_ago: float) -> None:
    """Move a job's timestamps into the past, as if time had passed."""
    values = {name: utcnow() - timedelta(seconds=s) for name, s in seconds_ago.items()}
    session.execute(update(Job).where(col(Job.id) == job_id).values(**values))
    session.commit()


def test_only_one_claim_wins(session: Session) -> None:
    job = submit_job(session, SPEC, "cpu")
    assert job.published_at is not None
    claimed = claim_job(session, job.id, "w1")
    assert claimed is not None and claimed.status == "running" and claimed.attempts == 1
    assert claim_job(session, job.id, "w2") is None  # a duplicate delivery does nothing
    assert heartbeat(session, job.id, "w2") is None and heartbeat(session, job.id, "w1") == "running"


def test_expired_lease_can_be_claimed_again(session: Session) -> None:
    job = submit_job(session, SPEC, "cpu")
    claim_job(session, job.id, "w1")
    age(session, job.id, heartbeat_at=600)
    again = claim_job(session, job.id, "w2")
    assert again is not None and again.worker == "w2" and again.attempts == 2


def test_a_lost_attempt_is_retried_then_fails_after_three_saying_why(session: Session) -> None:
    job = submit_job(session, SPEC, "cpu")
    for attempt in (1, 2):
        claim_job(session, job.id, f"w{attempt}")
        assert attempt_lost(session, get_job(session, job.id), "killed by SIGKILL") == "queued"
        assert get_job(session, job.id).last_failure == "killed by SIGKILL"
    claim_job(session, job.id, "w3")
    assert attempt_lost(session, get_job(session, job.id), "killed by SIGKILL") == "failed"
    failed = get_job(session, job.id)
    assert failed.status == "failed" and failed.attempts == 3
    assert "gave up after 3 attempts: killed by SIGKILL" in failed.error


def test_success_stores_exactly_one_result(session: Session) -> None:
    job = submit_job(session, SPEC, "cpu")
    claim_job(session, job.id, "w1")
    values, runs = worker_result(), [make_run(throughput=98.0), make_run(throughput=102.0)]
    assert finish_succeeded(session, job.id, "w1", values, runs) == "succeeded"
    assert finish_succeeded(session, job.id, "w1", values, runs) == "succeeded"  # a second delivery stores nothing more
    assert finish_succeeded(session, job.id, "w2", values, runs) == "succeeded"
    from sqlmodel import col, func, select

    from shared.db.tables import Result, Run
    result = session.exec(select(Result)).one()
    stored = session.exec(select(Run).order_by(col(Run.repeat))).all()
    assert [(r.repeat, r.throughput, r.result_id, r.job_id) for r in stored] == [
        (1, 98.0, result.id, job.id), (2, 102.0, result.id, job.id)]  # each repeat's own figures, pointing to it
    assert session.exec(select(func.count()).select_from(Result)).one() == 1


def worker_result(**overrides: object) -> dict[str, object]:
    """A result as the benchmark process reports it (no job id or date: the worker adds those)."""
    return {k: v for k, v in make_result(1, **overrides).items() if k not in ("job_id", "created_at")}


def test_each_result_is_the_latest_run_of_its_configuration(session: Session) -> None:
    from sqlmodel import col, select

    from shared.db.tables import Result

    def run(**overrides: object) -> Result:
        job = submit_job(session, SPEC, "cpu")
        claim_job(session, job.id, "w1")
        assert finish_succeeded(session, job.id, "w1", worker_result(**overrides), [make_run()]) == "succeeded"
        return session.exec(select(Result).where(col(Result.job_id) == job.id)).one()

    first, second, other = run(), run(throughput=99.0), run(batch_size=8)
    session.expire_all()
    rows = {r.job_id: r for r in session.exec(select(Result)).all()}
    assert first.config_key == second.config_key != other.config_key  # batch size makes another configuration
    assert (rows[first.job_id].latest, rows[first.job_id].runs) == (False, 1)
    assert (rows[second.job_id].latest, rows[second.job_id].runs) == (True, 2)
    assert (rows[other.job_id].latest, rows[other.job_id].runs) == (True, 1)


def test_cancel_queued_running_and_finished(session: Session) -> None:
    queued = submit_job(session, SPEC, "cpu")
    assert cancel_job(session, queued.id).status == "cancelled"
    with pytest.raises(JobFinished):
        cancel_job(session, queued.id)
    running = submit_job(session, SPEC, "cpu")
    claim_job(session, running.id, "w1")
    assert cancel_job(session, running.id).status == "cancelling"
    assert heartbeat(session, running.id, "w1") == "cancelling"  # how the worker learns of it
    assert finish_succeeded(session, running.id, "w1", worker_result(), [make_run()]) == "cancelled"  # no result is stored


def test_reaper_retries_orphans_expires_old_jobs_and_republishes_lost_ones(session: Session) -> None:
    orphan = submit_job(session, SPEC, "cpu")
    claim_job(session, orphan.id, "dead-worker")
    age(session, orphan.id, heartbeat_at=3600)
    old = submit_job(session, SPEC, "cpu")
    age(session, old.id, created_at=2 * 24 * 3600)
    lost = submit_job(session, SPEC, "cpu")
    age(session, lost.id, published_at=3600)
    announce(session, Worker(name="idle-1", backend="cpu", queues=["cpu"], hardware="x", host="h"))

    counts = reap_once(session)
    assert (counts["retried"], counts["expired"], counts["republished"], counts["forgotten"]) == (1, 1, 1, 0)
    retried = get_job(session, orphan.id)
    assert retried.status == "queued" and "stopped sending heartbeats" in retried.last_failure
    expired = get_job(session, old.id)
    assert expired.status == "failed" and "no cpu worker took this job within 24 h" in expired.error
    assert (utcnow() - get_job(session, lost.id).published_at) < timedelta(seconds=30)
    assert not any(reap_once(session).values())  # nothing left to do


def test_waiting_detail_comes_from_live_heartbeats(session: Session) -> None:
    job = submit_job(session, SPEC, "cpu")
    assert "none connected" in waiting_details(session, [job])[job.id]
    announce(session, Worker(name="a", backend="cpu", queues=["cpu"], hardware="x", host="h"))
    announce(session, Worker(name="b", backend="cpu", queues=["cpu"], hardware="x", host="h", state="busy"))
    assert waiting_details(session, [job])[job.id] == "waiting for a cpu worker (2 connected, 1 busy, 0 queued ahead)"
    session.execute(update(Worker).values(last_heartbeat=utcnow() - timedelta(minutes=5)))
    session.commit()
    assert "none connected" in waiting_details(session, [job])[job.id]


def test_concurrent_claims_have_exactly_one_winner(session: Session) -> None:
    from concurrent.futures import ThreadPoolExecutor

    job = submit_job(session, SPEC, "cpu")

    def claim(worker: str) -> bool:
        with session_scope() as own:
            return claim_job(own, job.id, worker) is not None

    with ThreadPoolExecutor(8) as pool:
        wins = list(pool.map(claim, [f"w{i}" for i in range(8)]))
    assert wins.count(True) == 1 and get_job(session, job.id).attempts == 1


def test_the_reaper_leaves_a_job_whose_heartbeat_came_back(session: Session) -> None:
    job = submit_job(session, SPEC, "cpu")
    claim_job(session, job.id, "w1")
    seen_stale = get_job(session, job.id)
    cutoff = utcnow() - timedelta(seconds=60)
    heartbeat(session, job.id, "w1")  # the worker answers between the reaper's read and its write
    assert attempt_lost(session, seen_stale, "gone", stale_before=cutoff) == "running"
    still = get_job(session, job.id)
    assert still.worker == "w1" and still.attempts == 1 and still.last_failure is None


def test_an_expired_lease_on_the_last_attempt_is_not_claimed_again(session: Session) -> None:
    job = submit_job(session, SPEC, "cpu")
    for attempt in (1, 2, 3):
        claim_job(session, job.id, f"w{attempt}")
        age(session, job.id, heartbeat_at=3600)
        if attempt < 3:
            attempt_lost(session, get_job(session, job.id), "gone")
    assert claim_job(session, job.id, "late-redelivery") is None
    assert reap_once(session)["retried"] == 1 and get_job(session, job.id).status == "failed"
