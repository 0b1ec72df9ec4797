"""`speedboard token …` against the database, and every other subcommand sending --token / SPEEDBOARD_TOKEN to a
real API over HTTP."""

from __future__ import annotations

import json
import subprocess
import urllib.request

import pytest

from shared.catalog.seed import SEED_MODELS
from shared.db.engine import session_scope
from shared.db.tables import Token
from tests.conftest import REPO, Stack
from tests.e2e.processes import ApiProcess
from tests.e2e.test_cli import SPEEDBOARD

pytestmark = pytest.mark.e2e


def speedboard(stack: Stack, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
    env = stack.process_env() | ({"SPEEDBOARD_TOKEN": token} if token else {})
    if not token:
        env.pop("SPEEDBOARD_TOKEN", None)
    return subprocess.run([str(SPEEDBOARD), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
                          check=False)


def test_tokens_are_made_listed_and_revoked_in_the_database_and_stored_hashed(embedded_stack: Stack) -> None:
    made = speedboard(embedded_stack, "token", "create", "--name", "ci-runner", "--role", "submit")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("sb_") and len(secret) > 40 and "shown only this once" in made.stderr
    with session_scope() as session:
        row = session.get(Token, "ci-runner")
    assert row is not None and row.role == "submit" and secret not in row.secret_sha256  # only its hash is kept

    again = speedboard(embedded_stack, "token", "create", "--name", "ci-runner", "--role", "admin")
    assert again.returncode == 2 and "revoke it first" in again.stderr and "Traceback" not in again.stderr
    bad = speedboard(embedded_stack, "token", "create", "--name", "<script>", "--role", "admin")
    assert bad.returncode == 2 and "not a token name" in bad.stderr
    listed = speedboard(embedded_stack, "token", "list")
    assert "ci-runner" in listed.stdout and "submit" in listed.stdout and secret not in listed.stdout
    assert speedboard(embedded_stack, "token", "revoke", "ci-runner").returncode == 0
    assert "revoked" in speedboard(embedded_stack, "token", "list").stdout
    missing = speedboard(embedded_stack, "token", "revoke", "nobody")
    assert missing.returncode == 2 and "no token named 'nobody'" in missing.stderr


def test_every_subcommand_sends_the_token(embedded_stack: Stack, live_api: ApiProcess) -> None:
    submitter = speedboard(embedded_stack, "token", "create", "--name", "bench", "--role", "submit").stdout.strip()
    reader = speedboard(embedded_stack, "token", "create", "--name", "viewer", "--role", "read").stdout.strip()

    refused = speedboard(embedded_stack, "--url", live_api.url, "suite", "seed", "--backend", "cpu", "--duration", "1")
    assert refused.returncode == 2 and "answered 401" in refused.stderr and "--token" in refused.stderr
    too_small = speedboard(embedded_stack, "suite", "seed", "--backend", "cpu", "--url", live_api.url, "--token", reader)
    assert too_small.returncode == 2 and "answered 403" in too_small.stderr and "has role read" in too_small.stderr

    queued = speedboard(embedded_stack, "suite", "seed", "--backend", "cpu", "--duration", "1", "--url", live_api.url,
                        "--token", submitter)  # --token after the command
    assert queued.returncode == 0, queued.stderr
    suite_id = queued.stdout.split("as suite ", 1)[1].split()[0]
    by_env = speedboard(embedded_stack, "--url", live_api.url, "suite", "status", suite_id, token=submitter)
    assert by_env.returncode == 0 and f"0/{len(SEED_MODELS)} finished" in by_env.stdout
    swept = speedboard(embedded_stack, "--url", live_api.url, "--token", submitter, "sweep", "resnet18", "--backend",
                       "cpu", "--batch-sizes", "1", "--streams", "1", "--duration", "1")
    assert swept.returncode == 0, swept.stderr
    advised = speedboard(embedded_stack, "--url", live_api.url, "recommend", "--max-latency-ms", "10", token=reader)
    assert advised.returncode == 1 and "answered" not in advised.stderr  # accepted; nothing measured yet, so 1

    with urllib.request.urlopen(f"{live_api.url}/suites/{suite_id}") as response:  # reads stay public by default
        assert json.load(response)["owner"] == "bench"
