"""Memory at run time through a real worker: a CPU job past its memory limit fails once, saying which limit it hit
and what would fit, and the same worker runs the next job. (A SIGKILL from elsewhere is still a lost attempt:
test_jobs_end_to_end.test_benchmark_process_killed_on_the_last_attempt_fails_saying_how.)"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from shared.measurement.hardware import logical_cpus, usable_memory_gb
from shared.worker.memory_watch import reserved_gb
from tests.conftest import Stack
from tests.e2e.processes import WorkerProcess, result_rows, wait_for_status

pytestmark = pytest.mark.e2e
TINY = {"model": "test_resnet", "backend": "cpu", "duration_s": 1}
BATCH = 4096


def address_space_case() -> tuple[dict[str, str], dict[str, object], list[str]]:
    """A limit 2 GB over what the libraries reserve (a tiny model's conversion maps about 4 GB with torch and timm, its
    benchmark 0.6 GB), and a job whose conversion's example input alone is a GB larger than the limit."""
    limit = round(reserved_gb(logical_cpus()) + 2, 1)
    size = next(size for size in range(32, 1025, 32) if BATCH * 3 * size**2 * 4 > (limit + 1) * 2**30)
    if BATCH * 3 * size**2 * 4 > usable_memory_gb() * 2**30:
        pytest.skip("this machine's memory is smaller than the inputs that must exceed the address-space limit")
    return ({"SPEEDBOARD_BENCHMARK_ADDRESS_SPACE_GB": str(limit)}, {"batch_size": BATCH, "input_size": size, "streams": 1},
            ["test_resnet ran out of memory while converting (", f"Unable to allocate {BATCH * 3 * size**2 * 4 / 2**30:.2f} GiB",
             f"), at its address-space limit of {limit:g} GB (SPEEDBOARD_BENCHMARK_ADDRESS_SPACE_GB): it ran batch_size "
             f"{BATCH}, input_size {size} and streams 1; batch_size"])


def resident_case() -> tuple[dict[str, str], dict[str, object], list[str]]:
    """A 2 GB watchdog: test_resnet at batch 1 holds about 1 GB (its conversion process, with torch), at batch 512 the
    conversion alone reaches 4 GB."""
    return ({"SPEEDBOARD_BENCHMARK_RSS_LIMIT_GB": "2"}, {"batch_size": 512, "input_size": 224, "streams": 1},
            ["test_resnet held ", " GB resident, over its resident-memory limit of 2 GB (SPEEDBOARD_BENCHMARK_RSS_LIMIT_GB), "
             "and the worker stopped it: it ran batch_size 512, input_size 224 and streams 1; batch_size"])


@pytest.mark.parametrize("stack", ["embedded"], indirect=True)
@pytest.mark.parametrize("case", [address_space_case, resident_case], ids=["address-space", "resident"])
def test_a_job_past_its_memory_limit_fails_once_saying_what_would_fit_and_the_worker_goes_on(
    client: TestClient, stack: Stack, start_worker: Callable[[Stack], WorkerProcess],
    case: Callable[[], tuple[dict[str, str], dict[str, object], list[str]]],
) -> None:
    env, body, expected = case()
    stack.env.update(env)
    worker = start_worker(stack)
    response = client.post("/jobs", json=TINY | body)
    assert response.status_code == 202, response.text
    job = wait_for_status(response.json()["id"], ("failed",), 240, worker)
    assert all(part in (job.error or "") for part in expected), job.error
    assert "would likely fit" in job.error and "gave up" not in job.error  # failed at once, not retried
    assert job.attempts == 1 and job.last_failure is None and result_rows(job.id) == []
    assert worker.process.poll() is None and worker.benchmark_pid() is None

    normal = client.post("/jobs", json=TINY)
    assert normal.status_code == 202, normal.text
    done = wait_for_status(normal.json()["id"], ("succeeded",), 240, worker)
    assert done.attempts == 1 and done.worker == worker.name
