"""Memory a benchmark uses while measuring: the process's peak resident set, and its artifact's size on disk.

The peak is the kernel's high-water mark (VmHWM), reset once the engine is prepared, so a conversion's or a
build's transient memory does not count: what remains is what serving the model takes (weights, the compiled
model, its buffers and every in-flight request). Linux only: elsewhere the figure is unknown (None).
"""

from __future__ import annotations

from pathlib import Path


def reset_peak_rss() -> bool:
    """Reset this process's high-water mark to its current resident set; False when the kernel does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # 5: reset the peak RSS (Linux 4.0 and newer)
    except OSError:
        return False
    return True


def peak_rss_mb() -> float | None:
    """This process's peak resident set since start or since reset_peak_rss(), in MiB."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)  # kB
    return None


def size_mb(*paths: Path) -> float:
    """Size on disk of files, or of every file under folders, in MiB."""
    total = 0
    for path in paths:
        files = path.rglob("*") if path.is_dir() else [path]
        total += sum(f.stat().st_size for f in files if f.is_file())
    return round(total / 2**20, 2)
