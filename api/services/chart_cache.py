"""Chart data, computed once per state of the data: the page polls and reloads, results change far less often.

The state is read in one cheap query (newest result id, catalog entries, suites), so a cached answer
is never stale: a new result, a correction, a variant or a suite changes it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

STATE = text("SELECT (SELECT max(id) FROM result), (SELECT count(*) FROM catalog_entry), "
             "(SELECT max(updated_at) FROM catalog_entry), (SELECT count(*) FROM suite)")
MAX_ENTRIES = 64

_lock = threading.Lock()
_cache: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()


def data_state(session: Session) -> tuple[Any, ...]:
    return tuple(session.execute(STATE).one())


def cached(session: Session, filters: tuple[Any, ...], compute: Callable[[], bytes]) -> bytes:
    key = (filters, data_state(session))
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    body = compute()  # outside the lock: two first requests may both compute, and store the same bytes
    with _lock:
        _cache[key] = body
        while len(_cache) > MAX_ENTRIES:
            _cache.popitem(last=False)
    return body


def forget() -> None:
    """Drop every cached answer (for a process that switches databases, as the tests do)."""
    with _lock:
        _cache.clear()
