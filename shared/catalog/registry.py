"""The timm registry snapshot: model names, tags, input sizes and parameter counts, without importing timm."""

from __future__ import annotations

import difflib
import gzip
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

SNAPSHOT_PATH = Path(__file__).with_name("timm_registry.json.gz")


@dataclass(frozen=True)
class ModelInfo:
    name: str
    default_tag: str | None
    tags: tuple[str, ...]
    input_size: int
    params_m: float | None


@lru_cache
def load_snapshot() -> dict[str, Any]:
    with gzip.open(SNAPSHOT_PATH, "rt") as f:
        snapshot: dict[str, Any] = json.load(f)
    return snapshot


@lru_cache(maxsize=8192)  # the chart data asks for each of its points' models
def lookup(name: str) -> ModelInfo | None:
    entry = load_snapshot()["models"].get(name)
    if entry is None:
        return None
    return ModelInfo(name, entry["default_tag"], tuple(entry["tags"]), entry["input_size"], entry["params_m"])


def closest(name: str, n: int = 5) -> list[str]:
    """The registered names nearest to `name`, best first."""
    names = load_snapshot()["models"].keys()
    base = name.split(".", 1)[0].lower()
    matches = difflib.get_close_matches(base, names, n=n, cutoff=0.6)
    if len(matches) < n:
        matches += [m for m in sorted(names) if base and base in m and m not in matches][: n - len(matches)]
    return matches
