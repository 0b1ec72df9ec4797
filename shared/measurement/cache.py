"""Converted models on disk, under a key of everything that changes them; written atomically."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared.measurement.pipeline import BenchSpec

FUSION_REVISION = "1"  # bump when fusion or export changes what a cached model contains


def cache_key(spec: BenchSpec, **parts: Any) -> str:
    """The key of what an engine converts from `spec`: the model (a variant's base and kwargs too), its input
    shape, the fusion revision, and the engine's own `parts` (weights' format, library versions, GPU, ...)."""
    model = {"model": spec.model, "shape": [spec.batch_size, 3, spec.input_size, spec.input_size]}
    if spec.base_model:
        model["variant"] = [spec.base_model, spec.model_kwargs]
    text = json.dumps(parts | model | {"fusion": FUSION_REVISION}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def cached(root: Path, key: str, build: Callable[[Path], dict[str, Any]]) -> tuple[Path, dict[str, Any], bool]:
    """The folder for `key` and its metadata, calling `build(tmp_folder) -> metadata` on a miss.

    Returns (folder, metadata, hit). Two processes missing at once both build; the first rename wins.
    """
    folder = root / key
    meta_path = folder / "meta.json"
    if meta_path.exists():
        return folder, json.loads(meta_path.read_text()), True
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
    try:
        meta = build(tmp)
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
        try:
            os.rename(tmp, folder)
        except OSError:  # another process finished first: use its copy
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder, json.loads(meta_path.read_text()), False
