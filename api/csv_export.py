"""Results as CSV: one row each, nested figures flattened into their own columns."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from api.schemas import ResultPublic

LATENCY_KEYS = ("mean", "stdev", "p50", "p90", "p95", "p99")
NESTED = ("latency_ms", "windows", "hardware_detail", "versions")


def columns() -> list[str]:
    plain = [name for name in ResultPublic.model_fields if name not in NESTED]
    return plain + [f"latency_ms_{key}" for key in LATENCY_KEYS] + ["windows", "hardware_detail", "versions"]


def to_csv(results: Iterable[ResultPublic]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns())
    writer.writeheader()
    for result in results:
        row = result.model_dump(mode="json", exclude=set(NESTED))
        row |= {f"latency_ms_{key}": result.latency_ms.get(key) for key in LATENCY_KEYS}
        row["windows"] = ";".join(f"{w:.6g}" for w in result.windows)
        row["hardware_detail"] = json.dumps(result.hardware_detail, sort_keys=True)
        row["versions"] = json.dumps(result.versions, sort_keys=True)
        writer.writerow(row)
    return out.getvalue()
