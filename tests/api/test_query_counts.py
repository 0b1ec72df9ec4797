"""List endpoints cost a fixed number of SQL statements, however long the page: no query per row."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import event

from shared.db.engine import get_engine, session_scope
from shared.db.tables import Job, Suite, Worker, utcnow
from shared.jobs.presence import announce
from tests.factories import make_result, seed


@contextmanager
def counted() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if threading.current_thread().name != "speedboard-reaper":  # the API's reaper runs on its own clock
            statements.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def add_jobs(n: int, suite_id: str | None = None) -> None:
    """n jobs: a third queued, a third succeeded with a result, a third failed."""
    now = utcnow()
    with session_scope() as session:
        jobs = [Job(model="resnet50", backend="cpu", engine="openvino", queue="cpu", suite_id=suite_id,
                    status=("queued", "succeeded", "failed")[i % 3], created_at=now - timedelta(seconds=i), published_at=now)
                for i in range(n)]
        session.add_all(jobs)
        session.commit()
        ids = [job.id for job in jobs if job.status == "succeeded"]
    seed(*(make_result(i, job_id=job_id, batch_size=i + 1) for i, job_id in enumerate(ids)))


def statements_for(client: TestClient, url: str, expected_items: int) -> int:
    with counted() as statements:
        body = client.get(url).json()
    assert len(body["items"]) == expected_items
    return len(statements)


def test_get_jobs_costs_the_same_statements_for_5_and_500_jobs(client: TestClient) -> None:
    with session_scope() as session:  # a live worker, so queued jobs say how many are ahead of them
        announce(session, Worker(name="cpu@test", backend="cpu", queues=["cpu"], hardware="x", host="h"))
    add_jobs(500)
    few = statements_for(client, "/jobs?limit=5", 5)
    many = statements_for(client, "/jobs?limit=500", 500)
    assert few == many, f"GET /jobs ran {few} statements for 5 jobs and {many} for 500"
    jobs = client.get("/jobs?limit=500").json()["items"]
    assert sum(job["result"] is not None for job in jobs) == 167 and all(j["result"]["top1"] for j in jobs if j["result"])
    queued = [job for job in jobs if job["status"] == "queued"]
    assert queued[-1]["detail"] == "waiting for a cpu worker (1 connected, 0 busy, 0 queued ahead)"  # the oldest
    assert queued[0]["detail"] == f"waiting for a cpu worker (1 connected, 0 busy, {len(queued) - 1} queued ahead)"


def test_get_suites_costs_the_same_statements_for_5_and_100_suites(client: TestClient) -> None:
    with session_scope() as session:
        suites = [Suite(name="seed", backend="cpu") for _ in range(100)]
        session.add_all(suites)
        session.commit()
        suite_ids = [suite.id for suite in suites]
    for suite_id in suite_ids[:10]:
        add_jobs(3, suite_id)
    few = statements_for(client, "/suites?limit=5", 5)
    many = statements_for(client, "/suites?limit=100", 100)
    assert few == many, f"GET /suites ran {few} statements for 5 suites and {many} for 100"
    listed = {suite["id"]: suite for suite in client.get("/suites?limit=100").json()["items"]}
    assert listed[suite_ids[0]]["total"] == 3 and listed[suite_ids[0]]["counts"] == {"queued": 1, "succeeded": 1,
                                                                                      "failed": 1}
    assert listed[suite_ids[-1]]["total"] == 0
