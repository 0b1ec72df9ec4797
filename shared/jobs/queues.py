"""Broker queue names: one per backend, one per worker, one per backend and hardware label.

Every worker consumes all three of its own, so a job can ask for any worker of a backend, one named
worker (`GET /workers`), or any worker on given hardware ("NVIDIA H200").
"""

from __future__ import annotations

import re


def hardware_slug(hardware: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", hardware.lower()).strip("-") or "unknown"


def worker_queue(name: str) -> str:
    # '@' (as in Celery's name@host) breaks publishing on kombu's filesystem transport: keep to safe characters.
    return f"worker.{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}"


def hardware_queue(backend: str, hardware: str) -> str:
    return f"hw.{backend}.{hardware_slug(hardware)}"


def queues_of(backend: str, name: str, hardware: str) -> list[str]:
    """The queues a worker consumes."""
    return [backend, worker_queue(name), hardware_queue(backend, hardware)]


def queue_for(backend: str, worker: str | None = None, hardware: str | None = None) -> str:
    """The queue a job goes to: its named worker's, its hardware's, or its backend's."""
    if worker:
        return worker_queue(worker)
    if hardware:
        return hardware_queue(backend, hardware)
    return backend
