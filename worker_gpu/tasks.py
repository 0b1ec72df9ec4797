"""Celery entry point of the GPU worker: `celery -A worker_gpu.tasks worker -Q gpu --pool solo`, one per GPU.

This process never initialises CUDA (nvidia-smi describes the GPU): each job's benchmark process does.
"""

from shared.jobs.broker import get_app
from shared.worker.agent import install
from worker_gpu.devices import gpu_hardware

app = get_app()
agent = install(app, backend="gpu", describe_hardware=gpu_hardware)


@app.task(name="worker_gpu.run_job", bind=True)  # acks late, prefetch 1: set on the app (shared.jobs.broker)
def run_job(self, job_id: str) -> str:  # type: ignore[no-untyped-def]
    """Benchmark one job; all the work lives in plain functions (shared.worker.runner)."""
    return agent.run(job_id, self.request.hostname)
