"""Who is using a cache folder, told by flock(2) on a `.lock` file inside it; the same file's mtime is its last use.

A process that builds a cache entry, or uses one, holds a shared lock on it for the rest of its life: the kernel
drops the lock however the process ends (a killed conversion included), so a lock that can be taken exclusively
means nobody is there any more. Eviction and the temp sweep (shared.measurement.cache_sweep) take the exclusive lock
without waiting and leave alone every folder they cannot lock. The lock stays on the file when its folder is
renamed, so a builder's lock on its temp folder becomes its lock on the entry it renames into place.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

LOCK_NAME = ".lock"
_held: set[int] = set()  # this process's shared locks: never closed, so held until it exits


def hold(folder: Path) -> int | None:
    """Hold a shared lock on `folder` for the rest of this process and stamp its last use; None when the folder is
    gone, or was replaced while this waited for an evictor or the sweep to finish with it (look again)."""
    path = folder / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    except (FileNotFoundError, NotADirectoryError):
        return None
    fcntl.flock(fd, fcntl.LOCK_SH)  # waits only while an evictor or the sweep removes the folder
    if not _still_there(fd, path):
        os.close(fd)
        return None
    with contextlib.suppress(OSError):  # a lock file another user created: the lock works, the stamp may not
        os.utime(path)
    _held.add(fd)
    return fd


def let_go(fd: int) -> None:
    """Release a lock `hold` took (a temp folder given up for another process's entry)."""
    _held.discard(fd)
    os.close(fd)


def take_exclusive(folder: Path) -> int | None:
    """An exclusive lock on `folder` if nobody holds one on it now, without waiting; None otherwise (or when the
    folder is gone). The caller removes the folder, then closes the descriptor."""
    path = folder / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError:  # gone, or another user's folder: not this process's to remove
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    if not _still_there(fd, path):
        os.close(fd)
        return None
    return fd


def last_used(folder: Path) -> float:
    """When `folder` was last used: its lock file's mtime, or its metadata's for an entry written before locks."""
    for name in (LOCK_NAME, "meta.json"):
        with contextlib.suppress(OSError):
            return (folder / name).stat().st_mtime
    return 0.0


def _still_there(fd: int, path: Path) -> bool:
    """Whether the locked file is still the one at `path` (not removed, with its folder, while we waited)."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False
