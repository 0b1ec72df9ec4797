from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import Stack
from tests.e2e.processes import ApiProcess, WorkerProcess


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    workers: list[WorkerProcess] = []

    def start(stack: Stack, backend: str = "cpu", env: dict[str, str] | None = None) -> WorkerProcess:
        # Listed first, so it is stopped even if it never gets ready.
        workers.append(WorkerProcess(stack, tmp_path, backend, env))
        return workers[-1].wait_ready()

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def live_api(embedded_stack: Stack, tmp_path: Path) -> Iterator[ApiProcess]:
    """The API served by uvicorn on a free port, over the embedded stack."""
    server = ApiProcess(embedded_stack, tmp_path)
    try:
        yield server.wait_ready()
    finally:
        server.stop()
