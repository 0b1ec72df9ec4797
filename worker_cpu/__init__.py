"""The CPU worker: OpenVINO benchmarks, taken from the `cpu` queue."""
