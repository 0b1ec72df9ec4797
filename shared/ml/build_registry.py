"""Regenerate the timm registry snapshot the API validates model names against.

Run `python -m shared.ml.build_registry` after changing the pinned timm. Imports torch and timm:
only workers, tests and this script use it, never the API.
"""

from __future__ import annotations

import gzip
import json
import multiprocessing
import os
from typing import Any

import timm
from timm.models import get_arch_pretrained_cfgs, get_pretrained_cfg

from shared.catalog.registry import SNAPSHOT_PATH
from shared.ml.count_params import params_m


def describe_names(name: str) -> tuple[str | None, list[str], int]:
    """(default tag, all tags, default input size) straight from timm's registry; cheap."""
    tags = [key.split(".", 1)[1] for key in get_arch_pretrained_cfgs(name) if "." in key]
    cfg = get_pretrained_cfg(name)
    return (tags[0] if tags else None), tags, int(cfg.input_size[-1]) if cfg is not None else 224


def describe(name: str) -> dict[str, Any]:
    default_tag, tags, input_size = describe_names(name)
    count: float | None
    try:
        count = params_m(name)
    except Exception:  # noqa: BLE001  (a model the meta device cannot build just lacks a count)
        count = None
    return {"default_tag": default_tag, "tags": tags, "input_size": input_size, "params_m": count}


def build(processes: int | None = None, names: list[str] | None = None) -> dict[str, Any]:
    """Describe every registered architecture (or `names`); building ~1,400 models on the meta device takes
    minutes, so in parallel."""
    names = timm.list_models() if names is None else names
    with multiprocessing.get_context("spawn").Pool(processes or os.cpu_count() or 1) as pool:
        described = pool.map(describe, names, chunksize=16)
    return {"timm": timm.__version__, "models": dict(zip(names, described, strict=True))}


def serialize(snapshot: dict[str, Any]) -> bytes:
    # mtime=0 keeps the file byte-identical across regenerations.
    return gzip.compress(json.dumps(snapshot, indent=0, sort_keys=True).encode(), mtime=0)


def main() -> None:
    snapshot = build()
    SNAPSHOT_PATH.write_bytes(serialize(snapshot))
    print(f"wrote {len(snapshot['models'])} architectures from timm {snapshot['timm']} to {SNAPSHOT_PATH}")


if __name__ == "__main__":
    main()
