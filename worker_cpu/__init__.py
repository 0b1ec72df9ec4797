"""The CPU worker: OpenVINO benchmarks, taken from the `cpu` queue, its own queue and its hardware's
(shared.jobs.queues)."""
