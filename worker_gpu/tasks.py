"""Celery entry point of the GPU worker: `celery -A worker_gpu.tasks worker -Q gpu --pool solo`, one per GPU.

This process never initialises CUDA (nvidia-smi describes the GPU): each job's benchmark process does.
"""

import os

from shared.jobs.broker import get_app
from shared.settings import get_settings
from shared.worker.agent import install
from worker_gpu.devices import gpu_hardware


def _peak_key() -> dict[str, str]:
    # One peak per GPU: the device and which GPU this worker is pinned to.
    return {"device": get_settings().gpu_device, "gpus": os.environ.get("CUDA_VISIBLE_DEVICES", "")}


app = get_app()
agent = install(app, backend="gpu", describe_hardware=gpu_hardware, peak_module="worker_gpu.peak", peak_key=_peak_key)


@app.task(name="worker_gpu.run_job", bind=True)  # acks late, prefetch 1: set on the app (shared.jobs.broker)
def run_job(self, job_id: str) -> str:  # type: ignore[no-untyped-def]
    """Benchmark one job; all the work lives in plain functions (shared.worker.runner)."""
    return agent.run(job_id, self.request.hostname)
