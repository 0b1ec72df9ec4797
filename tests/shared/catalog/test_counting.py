"""What the reaper does for variants (a lost count task sent again, jobs stranded on a refused variant failed) and the
count task refusing a catalog row written behind the API's back. The count itself: tests/api/test_models_api.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session

from shared.catalog.counting import COUNT_TASK, count_variant, recount_lost
from shared.db.engine import session_scope
from shared.db.tables import CatalogEntry, JobSpec, Worker, utcnow
from shared.jobs.broker import get_app
from shared.jobs.lifecycle import get_job, submit_job
from shared.jobs.presence import announce
from shared.jobs.reaper import reap_once
from tests.conftest import Stack


@pytest.fixture
def session(migrated: Stack) -> Iterator[Session]:
    with session_scope() as session:
        yield session


def variant(session: Session, name: str, minutes_ago: float = 0, **fields: object) -> None:
    values: dict[str, object] = dict(kind="variant", base="test_vit", kwargs={"depth": 1}, state="pending") | fields
    session.add(CatalogEntry(name=name, updated_at=utcnow() - timedelta(minutes=minutes_ago), **values))
    session.commit()


def tasks_sent() -> list[tuple[str, list[object]]]:
    """The tasks waiting on the cpu queue, by name with their arguments (taken off the queue)."""
    sent = []
    with get_app().connection_for_read() as connection:
        queue = connection.SimpleQueue("cpu")
        while True:
            try:
                message = queue.get(timeout=1)
            except queue.Empty:
                return sent
            sent.append((message.headers["task"], message.payload[0]))
            message.ack()


def test_a_lost_count_is_sent_again_only_while_a_cpu_worker_is_idle(session: Session) -> None:
    variant(session, "lost_one", minutes_ago=2)
    variant(session, "just_registered")  # its task may still be on its way to a worker
    assert recount_lost(session) == 0  # no worker: nobody would count it now
    announce(session, Worker(name="busy-1", backend="cpu", queues=["cpu"], hardware="x", host="h", state="busy"))
    assert recount_lost(session) == 0  # a busy worker may simply not have reached it yet
    announce(session, Worker(name="idle-1", backend="cpu", queues=["cpu"], hardware="x", host="h"))
    assert recount_lost(session) == 1
    assert tasks_sent() == [(COUNT_TASK, ["lost_one"])]
    assert recount_lost(session) == 0  # not again before another minute has passed


def test_jobs_stranded_on_a_refused_variant_fail_with_its_reason_and_pending_ones_stay_held(session: Session) -> None:
    variant(session, "waits")
    variant(session, "refused_one", state="refused", reason="timm could not build test_vit: TypeError")
    spec = JobSpec(model="waits", base_model="test_vit", model_kwargs={"depth": 1}, backend="cpu", engine="openvino")
    held = submit_job(session, spec, "cpu")
    # Submitted while its variant was being refused: the count had already failed the jobs it found.
    stranded = submit_job(session, spec.model_copy(update={"model": "refused_one"}), "cpu")
    reap_once(session)
    assert get_job(session, held.id).status == "queued" and get_job(session, held.id).published_at is None
    failed = get_job(session, stranded.id)
    assert failed.status == "failed" and failed.published_at is None
    assert failed.error == "variant refused_one was refused: timm could not build test_vit: TypeError"
    assert tasks_sent() == []  # neither job was handed to the broker


@pytest.mark.parametrize(("fields", "says"), [
    ({"kwargs": {"checkpoint_path": "/etc/passwd"}}, "kwargs.checkpoint_path is refused"),
    ({"base": "hf-hub:timm/vit_base_patch16_224"}, "is refused: Speedboard builds timm architectures by name"),
    ({"kwargs": {"depth": 10**6}}, "kwargs.depth must be a finite number between 0 and 1,000"),
])
def test_the_count_refuses_a_row_written_behind_the_apis_back_before_timm_is_called(
        session: Session, fields: dict[str, object], says: str) -> None:
    variant(session, "hand_written", **fields)
    assert count_variant(session, "hand_written") == "refused"
    session.expire_all()
    entry = session.get(CatalogEntry, "hand_written")
    assert entry is not None and says in (entry.reason or "") and entry.params_m is None


def test_a_count_for_a_variant_no_longer_pending_does_nothing(session: Session) -> None:
    variant(session, "done", state="ready", params_m=1.5)
    assert count_variant(session, "done") == "ready" and count_variant(session, "never_registered") == "missing"
    session.expire_all()
    assert session.get(CatalogEntry, "done").params_m == 1.5  # type: ignore[union-attr]
