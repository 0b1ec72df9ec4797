"""Results as CSV: one row each, nested figures flattened into their own columns."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from api.schemas import ResultPublic

LATENCY_KEYS = ("mean", "stdev", "p50", "p90", "p95", "p99")
# A spreadsheet runs a text cell starting with one of these as a formula (=HYPERLINK(...) in a label or a source):
# such cells get a leading apostrophe, which spreadsheets show as text. Numbers, negative ones too, stay numbers.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NESTED = ("throughput_ci95", "latency_ms", "latency_ci95", "latency_cv", "windows", "run_ids", "hardware_detail",
          "versions")


def columns() -> list[str]:
    plain = [name for name in ResultPublic.model_fields if name not in NESTED]
    latency = [f"latency_ms_{key}{part}" for key in LATENCY_KEYS for part in ("", "_ci95_low", "_ci95_high", "_cv")]
    return plain + ["throughput_ci95_low", "throughput_ci95_high", *latency, "windows", "run_ids", "hardware_detail",
                    "versions"]


def to_csv(results: Iterable[ResultPublic]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns())
    writer.writeheader()
    for result in results:
        row = result.model_dump(mode="json", exclude=set(NESTED))
        row |= _interval("throughput_ci95", result.throughput_ci95)
        for key in LATENCY_KEYS:
            row[f"latency_ms_{key}"] = result.latency_ms.get(key)
            row |= _interval(f"latency_ms_{key}_ci95", (result.latency_ci95 or {}).get(key))
            row[f"latency_ms_{key}_cv"] = (result.latency_cv or {}).get(key)
        row["windows"] = ";".join(f"{w:.6g}" for w in result.windows)
        row["run_ids"] = ";".join(str(i) for i in result.run_ids)
        row["hardware_detail"] = json.dumps(result.hardware_detail, sort_keys=True)
        row["versions"] = json.dumps(result.versions, sort_keys=True)
        writer.writerow({name: _as_text(value) for name, value in row.items()})
    return out.getvalue()


def _interval(name: str, interval: list[float] | None) -> dict[str, Any]:
    low, high = interval if interval else (None, None)
    return {f"{name}_low": low, f"{name}_high": high}


def _as_text(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, made plain text; every other value as it is."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value
