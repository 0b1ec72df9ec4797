"""Converted models on disk, under a key of everything that changes them; written atomically, held while in use."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared.measurement.cache_locks import hold, let_go
from shared.measurement.cache_sweep import evict
from shared.measurement.pipeline import BenchmarkError, BenchSpec

log = logging.getLogger("speedboard.cache")

FUSION_REVISION = "1"  # bump when fusion or export changes what a cached model contains
META = "meta.json"
ATTEMPTS = 3  # a miss, then another process's entry or ours; more only if the entry keeps vanishing


def cache_key(spec: BenchSpec, **parts: Any) -> str:
    """The key of what an engine converts from `spec`: the model (a variant's base and kwargs too), its input
    shape, the fusion revision, and the engine's own `parts` (weights' format, library versions, GPU, ...)."""
    model = {"model": spec.model, "shape": [spec.batch_size, 3, spec.input_size, spec.input_size]}
    if spec.base_model:
        model["variant"] = [spec.base_model, spec.model_kwargs]
    text = json.dumps(parts | model | {"fusion": FUSION_REVISION}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def cached(root: Path, key: str, build: Callable[[Path], dict[str, Any]], *,
           max_gb: float = 0.0) -> tuple[Path, dict[str, Any], bool]:
    """The folder for `key` and its metadata, calling `build(tmp_folder) -> metadata` on a miss.

    Returns (folder, metadata, hit). `root` is one engine's folder in the cache folder; after writing a new entry,
    the cache folder's entries of every engine are evicted down to `max_gb` (0: no cap; shared.measurement.cache_sweep).
    This process holds the entry (and while building, its temp folder) until it exits, so neither is removed under
    it. Two processes missing at once both build; the first rename wins.
    """
    folder = root / key
    built = False
    for _ in range(ATTEMPTS):
        if (meta := _use(folder)) is not None:
            return folder, meta, not built
        if folder.is_dir() and not (folder / META).is_file():  # an entry is renamed into place whole: this one is not
            break
        root.mkdir(parents=True, exist_ok=True)
        built = True
        if _build(root, key, build):
            if max_gb > 0:
                _evict(root.parent, max_gb)
            return folder, json.loads((folder / META).read_text()), False
    raise BenchmarkError(f"the cache folder {folder} has no {META}: it is damaged; remove it and run the job again")


def _use(folder: Path) -> dict[str, Any] | None:
    """The entry's metadata, the entry held for this process; None on a miss (or an entry evicted meanwhile)."""
    if not (folder / META).is_file() or (fd := hold(folder)) is None:
        return None
    try:
        return json.loads((folder / META).read_text())
    except FileNotFoundError:
        let_go(fd)
        return None


def _build(root: Path, key: str, build: Callable[[Path], dict[str, Any]]) -> bool:
    """Build into a temp folder held for this process, then rename it into place; False when another process's
    entry got there first (this copy is then discarded)."""
    tmp, fd = _temp_folder(root, key)
    try:
        meta = build(tmp)
        (tmp / META).write_text(json.dumps(meta, indent=1, sort_keys=True))
        try:
            os.rename(tmp, root / key)  # the lock on tmp's lock file is now the lock on the entry's
            return True
        except OSError:  # another process finished first: use its copy
            shutil.rmtree(tmp, ignore_errors=True)
            let_go(fd)
            return False
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        let_go(fd)
        raise


def _temp_folder(root: Path, key: str) -> tuple[Path, int]:
    """A new `.KEY-*` temp folder, locked: the sweep at a worker's start removes only those nobody holds."""
    while True:
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
        if (fd := hold(tmp)) is not None:
            return tmp, fd


def _evict(cache_dir: Path, max_gb: float) -> None:
    try:
        evict(cache_dir, max_gb)
    except OSError as error:  # the job has its entry; the next one evicts again
        log.warning("cache: could not evict in %s: %s", cache_dir, error)
