"""Keeping the cache folder to its cap: least recently used entries evicted, temp folders of killed builds swept.

The cache folder (settings.cache_dir) holds a folder per engine (openvino, tensorrt), each holding the entries
shared.measurement.cache writes, named by their key, and the `.KEY-*` temp folders they are built in. The measured
peaks (by default the cache folder's `peaks`) are a few measured figures, not artifacts: never touched here.
Workers of one host may share the cache folder, so nothing here removes a folder that a live process holds a lock
on (shared.measurement.cache_locks): neither an entry a benchmark is using nor a temp folder a build is writing.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from shared.measurement.cache_locks import last_used, take_exclusive

log = logging.getLogger("speedboard.cache")

NEVER_SWEPT = frozenset({"peaks"})
CAP_SETTING = "SPEEDBOARD_CACHE_MAX_GB"


@dataclass(frozen=True)
class Entry:
    folder: Path
    size: int  # bytes
    used: float  # last use, as a timestamp


def entries(cache_dir: Path) -> list[Entry]:
    """Every complete entry (a folder with its meta.json) of every engine, least recently used first."""
    found = [Entry(folder, size_of(folder), last_used(folder)) for kind in _engine_folders(cache_dir)
             for folder in kind.iterdir() if not folder.name.startswith(".") and (folder / "meta.json").is_file()]
    return sorted(found, key=lambda entry: entry.used)


def size_of(folder: Path) -> int:
    total = 0
    for parent, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(parent, name)).st_size
            except OSError:  # removed meanwhile
                pass
    return total


def evict(cache_dir: Path, max_gb: float) -> list[Path]:
    """Remove least recently used entries until the entries of `cache_dir` take at most `max_gb` (0: no cap); returns
    those removed. Never one in use, nor the most recently used: evicting what the last job built would only make
    the next such job build it again, so an entry bigger than the cap alone stays, and a log line says so."""
    if max_gb <= 0:
        return []
    cap = max_gb * 2**30
    found = entries(cache_dir)
    total = sum(entry.size for entry in found)
    removed: list[Path] = []
    for entry in found[:-1]:
        if total <= cap:
            break
        if _remove(entry.folder):
            total -= entry.size
            removed.append(entry.folder)
            log.info("cache: evicted %s (%s), the least recently used, to keep under %s=%g", entry.folder,
                     _gb(entry.size), CAP_SETTING, max_gb)
    if total > cap:
        newest = found[-1]
        if newest.size > cap:
            log.warning("cache: %s alone takes %s, more than %s=%g; kept, as the most recently used entry (raise the "
                        "cap to keep it and others)", newest.folder, _gb(newest.size), CAP_SETTING, max_gb)
        else:
            log.warning("cache: %s takes %s, over %s=%g: what is left is in use by a running benchmark or build",
                        cache_dir, _gb(total), CAP_SETTING, max_gb)
    return removed


def sweep_temp(cache_dir: Path) -> list[Path]:
    """Remove the temp folders (`.KEY-*`) left by builds that were killed: those no live process holds a lock on.
    A build still writing holds its lock, whichever worker of this host started it; returns those removed."""
    removed: list[Path] = []
    for kind in _engine_folders(cache_dir):
        for folder in kind.iterdir():
            if not folder.name.startswith(".") or folder.is_symlink() or not folder.is_dir():
                continue
            fd = take_exclusive(folder)
            if fd is None:  # a build under way
                continue
            try:
                shutil.rmtree(folder, ignore_errors=True)
            finally:
                os.close(fd)
            removed.append(folder)
            log.info("cache: removed %s, left by a build that did not finish", folder)
    return removed


def tidy(cache_dir: Path, max_gb: float) -> None:
    """At a worker's start: sweep what killed builds left, then evict down to the cap. Never raises: a worker whose
    cache folder could not be tidied still works (its next new entry evicts again)."""
    try:
        sweep_temp(cache_dir)
        evict(cache_dir, max_gb)
    except OSError as error:
        log.warning("cache: could not tidy %s: %s", cache_dir, error)


def _remove(folder: Path) -> bool:
    """Remove an entry unless a process holds it. Renamed out of place first, under the lock: a process about to use
    it then finds no entry and builds one, never half of a deleted one."""
    fd = take_exclusive(folder)
    if fd is None:
        return False
    try:
        trash = folder.with_name(f".{folder.name}-evicted-{uuid.uuid4().hex[:8]}")
        os.rename(folder, trash)
        shutil.rmtree(trash, ignore_errors=True)
        return True
    except OSError as error:
        log.warning("cache: could not evict %s: %s", folder, error)
        return False
    finally:
        os.close(fd)


def _engine_folders(cache_dir: Path) -> list[Path]:
    if not cache_dir.is_dir():
        return []
    return [path for path in sorted(cache_dir.iterdir())
            if path.is_dir() and not path.is_symlink() and not path.name.startswith(".") and path.name not in NEVER_SWEPT]


def _gb(size: int) -> str:
    return f"{size / 2**30:.2f} GB"
