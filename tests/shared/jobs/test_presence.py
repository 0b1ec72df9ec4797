"""A stopping worker is kept as known (a job may name it and wait) but not live; the reaper forgets it once the queue
TTL has passed since its last heartbeat. On SQLite and PostgreSQL for real."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, update

from shared.db.engine import session_scope
from shared.db.tables import Worker, utcnow
from shared.jobs.presence import announce, depart, known_targets, known_workers, live_workers
from shared.jobs.reaper import reap_once
from tests.conftest import Stack


@pytest.fixture
def session(migrated: Stack) -> Session:
    with session_scope() as session:
        yield session


def worker(name: str, backend: str = "cpu", hardware: str = "x", state: str = "idle") -> Worker:
    return Worker(name=name, backend=backend, queues=[backend], hardware=hardware, host="h", state=state)


def last_seen(session: Session, name: str, **ago: float) -> None:
    session.execute(update(Worker).where(col(Worker.name) == name).values(last_heartbeat=utcnow() - timedelta(**ago)))
    session.commit()


def test_a_stopped_worker_is_known_but_not_live_until_it_comes_back(session: Session) -> None:
    announce(session, worker("a", state="busy"))
    announce(session, worker("g", backend="gpu", hardware="NVIDIA H200"))
    depart(session, "a")
    assert [w.name for w in live_workers(session)] == ["g"]
    assert [(w.name, w.state, w.job_id) for w in known_workers(session)] == [("a", "stopped", None), ("g", "idle", None)]
    known = known_targets(session)
    assert (known.backends, known.hardware) == ({"a": "cpu", "g": "gpu"}, {"cpu": ["x"], "gpu": ["NVIDIA H200"]})
    announce(session, worker("a"))  # restarted under the same name
    assert [w.name for w in live_workers(session)] == ["a", "g"]
    depart(session, "never-seen")  # nothing to mark: no error, no row
    assert [w.name for w in known_workers(session)] == ["a", "g"]


def test_the_reaper_forgets_workers_not_heard_from_within_the_queue_ttl(session: Session) -> None:
    announce(session, worker("recent"))
    announce(session, worker("killed"))  # no depart: its heartbeats just stopped
    announce(session, worker("gone"))
    depart(session, "gone")
    last_seen(session, "killed", hours=23)
    last_seen(session, "gone", hours=25)
    assert [w.name for w in known_workers(session)] == ["killed", "recent"]  # "gone" is past the TTL already
    assert reap_once(session)["forgotten"] == 1
    session.expire_all()
    assert session.get(Worker, "gone") is None and session.get(Worker, "killed") is not None
    assert reap_once(session)["forgotten"] == 0
