"""Abuse against the real service over HTTP, tokens on: each case gets the statuses it must (no timing asserts),
the API keeps answering, and hostile text reaches the CSV as text. The page side of hostile strings is
tests/e2e/test_hostile_strings.py; /health's latency during these cases is benchmarks/health_under_abuse.py."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.abuse import CASES, HOSTILE, send
from shared.access.tokens import create
from shared.db.engine import migrate, session_scope
from shared.db.tables import Worker
from shared.jobs.presence import announce
from shared.jobs.queues import queues_of
from shared.measurement.hardware import memory_gb
from tests.conftest import Stack
from tests.e2e.processes import ApiProcess
from tests.factories import make_result, seed

pytestmark = pytest.mark.e2e


def test_abuse_cases_get_their_statuses_and_the_api_keeps_answering(embedded_stack: Stack, tmp_path: Path) -> None:
    migrate()
    seed(make_result(1, model="resnet50", pretrained_tag="a1_in1k"))
    with session_scope() as session:  # a worker as this machine announces itself: the memory guard's reference
        announce(session, Worker(name="cpu@abuse", backend="cpu", hardware="Abuse CPU", host="abuse", memory_gb=memory_gb(),
                                 physical_cores=2, queues=queues_of("cpu", "cpu@abuse", "Abuse CPU")))
        tokens = {name: create(session, name.replace(" ", "-").replace("/", ""), "admin") for name in CASES}
    api = ApiProcess(embedded_stack, tmp_path).wait_ready()
    try:
        got = {name: case(api.url, tokens[name]) for name, case in CASES.items()}
        assert got["2 MiB body"] == Counter({413: 10})
        assert got["rapid POST /jobs"][202] == 120 and got["rapid POST /jobs"][429] == 10
        assert got["unknown workers"] == Counter({422: 5})
        assert got["the 51 GB job"] == Counter({422: 5})
        variants = got["20 parallel huge variants"]
        assert set(variants) <= {202, 422, 429} and variants[429] == 10, variants  # 10 a minute per token
        assert got["hostile labels and sources"] == Counter({422: 3, 200: 3})  # labels refused, sources kept as text

        status, headers, _ = send(f"{api.url}/jobs", "POST", {"model": "resnet18", "backend": "cpu"},
                                  tokens["rapid POST /jobs"])
        assert status == 429 and int(headers["retry-after"]) > 0
        status, _, body = send(f"{api.url}/results?format=csv")
        rows = list(csv.DictReader(io.StringIO(body.decode())))
        assert status == 200 and rows[0]["top1_source"] == "'" + HOSTILE[2]  # the last correction: a formula, made text
        assert send(f"{api.url}/health")[0] == 200
    finally:
        api.stop()
