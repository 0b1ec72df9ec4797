"""Rate and queue limits: how fast one caller may submit, and how many jobs may wait at once. Each answers 429 with
Retry-After; each is off at 0 (settings `rate_*_per_min`, `max_queued`, `max_queued_per_owner`).

Rates are counted per token (per client address when the request has none) in a moving window of one minute, in
this API process's memory: one API process serves Speedboard, and a restart starts every budget afresh. POST
/suites and POST /sweeps share one budget, since each queues many jobs at once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from fastapi import Request
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlmodel import Session, col, func, select

from shared import SpeedboardError
from shared.db.tables import Job
from shared.settings import get_settings

# A full queue drains at the pace of benchmarks, each a minute or so (duration, warm-up, preparation): asking
# again sooner rarely finds room, much later wastes a worker's idle time.
QUEUE_RETRY_AFTER_S = 60

_storage = MemoryStorage()
_limiter = MovingWindowRateLimiter(_storage)


class TooManyRequests(SpeedboardError):
    """Past a rate or queue limit; `headers` carries Retry-After (seconds) onto the answer."""

    status = 429

    def __init__(self, message: str, retry_after_s: int, **extra: object) -> None:
        super().__init__(message, retry_after_s=retry_after_s, **extra)
        self.headers = {"Retry-After": str(retry_after_s)}


def rate_limit(budget: str, setting: str) -> Callable[[Request], None]:
    """A route dependency spending one request of `budget` (named as the caller sees it, e.g. "POST /jobs") per call,
    at most `Settings.<setting>` a minute per caller."""

    def spend(request: Request) -> None:
        per_minute = getattr(get_settings(), setting)
        if per_minute <= 0:
            return
        item = RateLimitItemPerMinute(per_minute)
        who, named = caller_key(request)
        if _limiter.hit(item, budget, who):
            return
        reset_at, _ = _limiter.get_window_stats(item, budget, who)
        wait = max(1, math.ceil(reset_at - time.time()))
        raise TooManyRequests(f"too many {budget} from {named}: at most {per_minute} a minute "
                              f"(SPEEDBOARD_{setting.upper()}); retry in {wait} s", wait, limit_per_minute=per_minute)

    return spend


def caller_key(request: Request) -> tuple[str, str]:
    """Whose budget a request spends: its token's (set by api.access.authorize), else its client address's."""
    principal = getattr(request.state, "principal", None)
    if principal is not None:
        return f"token:{principal.name}", f"token {principal.name!r}"
    host = request.client.host if request.client else "unknown"
    return f"address:{host}", f"address {host}"


jobs_rate = rate_limit("POST /jobs", "rate_jobs_per_min")
groups_rate = rate_limit("POST /suites and /sweeps", "rate_suites_per_min")
models_rate = rate_limit("POST /models", "rate_models_per_min")


def reset_rates() -> None:
    """Forget every request counted so far (tests start each API client with full budgets)."""
    _storage.reset()


def check_queue(session: Session, owner: str | None, adding: int, what: str) -> None:
    """Refuse, whole, a request that would queue `adding` jobs past the queue's limit or its owner's. With auth off
    jobs have no owner (rows do not record client addresses), so only the overall limit applies."""
    settings = get_settings()
    if settings.max_queued > 0:
        _refuse_past(queued(session, None), settings.max_queued, adding, what, "", "at once (SPEEDBOARD_MAX_QUEUED)")
    if owner is not None and settings.max_queued_per_owner > 0:
        _refuse_past(queued(session, owner), settings.max_queued_per_owner, adding, what, f" of token {owner!r}",
                     "per token (SPEEDBOARD_MAX_QUEUED_PER_OWNER)")


def queued(session: Session, owner: str | None) -> int:
    query = select(func.count()).select_from(Job).where(col(Job.status) == "queued")
    if owner is not None:
        query = query.where(col(Job.owner) == owner)
    return session.exec(query).one()


def _refuse_past(count: int, limit: int, adding: int, what: str, whose: str, scope: str) -> None:
    if count + adding <= limit:
        return
    are = f"1 job{whose} is" if count == 1 else f"{count:,} jobs{whose} are"
    jobs = "1 job" if adding == 1 else f"{adding:,} jobs"
    raise TooManyRequests(f"{are} queued, at most {limit:,} {scope}, and this {what} would add {jobs}; "
                          "wait for queued jobs to run or cancel some, or queue fewer at once", QUEUE_RETRY_AFTER_S,
                          queued=count, limit=limit, adding=adding)
