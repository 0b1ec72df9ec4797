"""Recompute every stored result's configuration key, number each configuration's runs and mark its newest.

Used by migrations that change what a configuration is. Each migration passes its own frozen key recipe, so a
later change to the live `config_key` never changes what an old migration did.
"""

from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa


def rekey(bind: Any, columns: tuple[str, ...], key: Callable[[Mapping[str, Any]], str]) -> None:
    result = sa.table('result', sa.column('id'), sa.column('config_key'), sa.column('latest'), sa.column('runs'),
                      *(sa.column(c) for c in columns))
    rows = bind.execute(sa.select(result).order_by(result.c.id)).mappings().all()
    runs: dict[str, int] = {}
    newest: dict[str, int] = {}
    for row in rows:
        row_key = key(row)
        runs[row_key] = runs.get(row_key, 0) + 1
        newest[row_key] = row["id"]
        if (row["config_key"], row["runs"]) != (row_key, runs[row_key]):
            bind.execute(result.update().where(result.c.id == row["id"]).values(config_key=row_key, runs=runs[row_key]))
    bind.execute(result.update().values(latest=False))
    latest = sorted(newest.values())
    for start in range(0, len(latest), 1000):  # bounded IN lists: databases cap the parameters of one statement
        bind.execute(result.update().where(result.c.id.in_(latest[start:start + 1000])).values(latest=True))
