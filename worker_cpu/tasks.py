"""Celery entry point of the CPU worker: `celery -A worker_cpu.tasks worker -Q cpu --pool solo`."""

from shared.catalog.counting import COUNT_TASK, count_variant
from shared.db.engine import session_scope
from shared.jobs.broker import get_app
from shared.measurement.hardware import cpu_hardware
from shared.worker.agent import install

app = get_app()
agent = install(app, backend="cpu", describe_hardware=cpu_hardware, peak_module="worker_cpu.peak")


@app.task(name="worker_cpu.run_job", bind=True)  # acks late, prefetch 1: set on the app (shared.jobs.broker)
def run_job(self, job_id: str) -> str:  # type: ignore[no-untyped-def]
    """Benchmark one job; all the work lives in plain functions (shared.worker.runner)."""
    return agent.run(job_id, self.request.hostname)


@app.task(name=COUNT_TASK)
def count_parameters(name: str) -> str:
    """Count a custom variant's parameters (POST /models) and mark it ready or refused (shared.catalog.counting)."""
    with session_scope() as session:
        return count_variant(session, name)
