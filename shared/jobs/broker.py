"""The one Celery app, built from settings. The API sends tasks by name; workers register them."""

from __future__ import annotations

from functools import lru_cache

from celery import Celery
from kombu.utils.url import maybe_sanitize_url

from shared.settings import EMBEDDED_BROKER, Settings, get_settings

TASK_NAMES = {"cpu": "worker_cpu.run_job", "gpu": "worker_gpu.run_job"}


def broker_transport_options(settings: Settings) -> dict[str, object]:
    if settings.broker != EMBEDDED_BROKER:
        # Redis: redeliver an unacknowledged job after the job time limit, never mid-run.
        return {"visibility_timeout": int(settings.job_time_limit_s) + 600}
    queue_dir = settings.broker_dir / "queue"
    control_dir = settings.broker_dir / "control"
    for folder in (queue_dir, control_dir):
        folder.mkdir(parents=True, exist_ok=True)
    # The embedded broker: kombu's filesystem transport, shared by every process through one folder.
    return {
        "data_folder_in": str(queue_dir),
        "data_folder_out": str(queue_dir),
        "control_folder": str(control_dir),
    }


def shown_broker(settings: Settings) -> str:
    """The broker as a log line may name it: its password masked (`**`, as Celery's own banner shows it), since logs
    travel further than the environment. Each URL of a failover list (`;`) is masked; one that does not parse is
    shown by its scheme alone."""
    if settings.broker == EMBEDDED_BROKER:
        return f"embedded (filesystem, under {settings.broker_dir})"
    return ";".join(_masked(url) for url in settings.broker.split(";"))


def _masked(url: str) -> str:
    try:
        return str(maybe_sanitize_url(url))
    except ValueError:
        return f"{url.partition('://')[0]}:// (the rest not shown: it does not parse as a URL)"


@lru_cache
def get_app() -> Celery:
    settings = get_settings()
    app = Celery("speedboard", broker=settings.broker)
    app.conf.update(
        broker_transport_options=broker_transport_options(settings),
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        # A publish to an absent broker fails fast; the job row stays and the reaper publishes it later.
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1},
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_concurrency=1,
        task_default_queue="cpu",
        task_serializer="json",
        accept_content=["json"],
        worker_hijack_root_logger=False,
    )
    return app


def publish(job_id: str, queue: str, backend: str) -> None:
    """Send the job to the workers of `queue`; the job row must exist first."""
    app = get_app()
    # A connection of its own: inside a worker, the pooled one belongs to the consumer's event loop,
    # and a publish from the reaper's thread through it can sit unsent until that loop wakes.
    with app.connection_for_write() as connection:
        app.send_task(TASK_NAMES[backend], args=[job_id], queue=queue, connection=connection)
