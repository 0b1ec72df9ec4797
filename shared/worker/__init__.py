"""A worker's side: the Celery-facing agent, the job runner that starts the benchmark process, the host lock."""
