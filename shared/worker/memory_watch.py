"""The memory a benchmark may take: an address-space limit set before it starts, and a watchdog on what it holds.

- Address space (RLIMIT_AS), CPU jobs only: set on the benchmark process as it starts and inherited by the conversion
  process it starts (each process has the limit to itself). An allocation past it fails at once (MemoryError,
  std::bad_alloc, "Cannot allocate memory") instead of driving the machine into the kernel's out-of-memory killer.
  By default the machine's memory plus what the libraries reserve without using: measured, a process holding torch
  and timm maps about 4 GB at batch 1 (OpenVINO alone 0.6 GB), and each thread adds a stack and a malloc arena
  of up to 72 MB, about two threads per CPU. GPU processes get none: CUDA reserves far more than the machine holds.
- Resident memory: the worker reads what its benchmark's process tree holds every second and kills the tree past
  the limit; 80 % of the machine's memory by default, which leaves the worker, the system and a second's growth room.
  Shared pages count once (PSS), so a forked helper or a library both processes map is not counted twice.

The machine's memory is its cgroup's limit when lower (a container's).
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

from shared.measurement.children import die_with_parent
from shared.measurement.hardware import logical_cpus, usable_memory_gb
from shared.settings import get_settings

RESERVED_GB = 4.0  # what torch, timm and their libraries map without using it
RESERVED_PER_CPU_GB = 0.15  # a stack and a malloc arena for each of about two threads per CPU
RSS_SHARE = 0.8  # of the machine's memory, for the watchdog's default
# What a benchmark's processes hold resident before any batch: a conversion process with torch and timm loaded.
RESIDENT_BASELINE_GB = 1.0
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass(frozen=True)
class Limit:
    """One limit a benchmark runs under, as its failure names it."""

    what: str  # "its address-space limit of", "the machine's"
    gb: float
    setting: str | None  # the environment variable that sets it; None for the machine's own memory
    fixed_gb: float  # what the processes hold under this limit at any batch, weights aside


@dataclass(frozen=True)
class MemoryLimits:
    """A benchmark's limits, in GB (0: none)."""

    address_space_gb: float
    rss_gb: float
    reserved_gb: float  # the address space the libraries reserve without using, on this machine
    machine_gb: float

    def preexec(self) -> None:
        """`preexec_fn` for the benchmark process: it dies with the worker, within its address-space limit."""
        die_with_parent()
        if self.address_space_gb:
            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            soft = int(self.address_space_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))

    def allocation_limit(self) -> Limit:
        """What an allocation that failed ran into: the address-space limit, else the machine's memory."""
        if self.address_space_gb:
            return Limit("its address-space limit of", self.address_space_gb, "SPEEDBOARD_BENCHMARK_ADDRESS_SPACE_GB",
                         self.reserved_gb)
        return Limit("the machine's", self.machine_gb, None, RESIDENT_BASELINE_GB)

    def rss_limit(self) -> Limit:
        return Limit("its resident-memory limit of", self.rss_gb, "SPEEDBOARD_BENCHMARK_RSS_LIMIT_GB", RESIDENT_BASELINE_GB)

    def over_rss(self, pid: int) -> float | None:
        """What the process tree of `pid` holds, in GB, when that is over the resident-memory limit; None otherwise.

        Its RSS first, which the kernel keeps counted (reading it costs the benchmark nothing); only past the limit
        its PSS, which walks the page tables but counts the pages the processes share once."""
        if not self.rss_gb or tree_memory_gb(pid, proportional=False) <= self.rss_gb:
            return None
        held = tree_memory_gb(pid, proportional=True)
        return held if held > self.rss_gb else None


def memory_limits(backend: str) -> MemoryLimits:
    """This worker's limits for a benchmark of `backend`, from the settings or, where unset, the machine's memory."""
    settings = get_settings()
    machine, reserved = usable_memory_gb(), reserved_gb(logical_cpus())
    address_space = settings.benchmark_address_space_gb
    if address_space is None:
        address_space = round(machine + reserved, 1)
    rss = settings.benchmark_rss_limit_gb
    if rss is None:
        rss = round(RSS_SHARE * machine, 1)
    return MemoryLimits(address_space if backend == "cpu" else 0.0, rss, reserved, machine)


def reserved_gb(cpus: int) -> float:
    """The address space a benchmark's libraries and threads reserve without using, with `cpus` CPUs."""
    return round(RESERVED_GB + RESERVED_PER_CPU_GB * cpus, 2)


def tree_memory_gb(pid: int, proportional: bool) -> float:
    """What `pid` and its descendants hold resident, in GB: the sum of their RSS, or of their proportional set sizes
    (PSS), in which the pages they share (libraries, a fork's copy-on-write pages) count once."""
    read = _pss_kb if proportional else _rss_kb
    return sum(read(each) for each in _tree(pid)) / 2**20


def _tree(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:  # gone, or a kernel without /proc/PID/task/TID/children: the process alone then
            continue
        for child in children:
            found += _tree(int(child))
    return found


def _rss_kb(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0  # gone meanwhile


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return _rss_kb(pid)  # a kernel without smaps_rollup (before 4.14), or gone meanwhile
