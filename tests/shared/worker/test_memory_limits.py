"""Memory at run time: the limits a benchmark runs under, the watchdog's reading, and how running out is told apart
from a kill (failed at once, saying what would fit) and reported."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from shared.measurement.children import describe_exit
from shared.measurement.hardware import logical_cpus, usable_memory_gb
from shared.measurement.pipeline import BenchSpec
from shared.settings import get_settings
from shared.worker.memory_watch import MemoryLimits, memory_limits, reserved_gb, tree_memory_gb
from shared.worker.out_of_memory import is_out_of_memory, over_rss, ran_out
from shared.worker.runner import reported

RESNET50 = BenchSpec(model="resnet50", backend="cpu", engine="openvino", batch_size=32, input_size=224, streams=2)
LIMITS = MemoryLimits(address_space_gb=27.8, rss_gb=18.8, reserved_gb=4.3, machine_gb=23.5)

# How running out of memory read in real runs under a small RLIMIT_AS (OpenVINO 2026.4, torch 2.14) and from our own
# processes' MemoryError handlers.
OUT_OF_MEMORY = [
    "resnet50 failed with RuntimeError: Exception from src/inference/src/cpp/core.cpp:132:\nException from "
    "src/inference/src/dev/plugin.cpp:59:\nCheck 'ptr' failed at src/plugins/intel_cpu/src/cpu_memory.cpp:257:\n"
    "Failed to allocate 166985728 bytes of memory\n",
    "resnet50 failed with RuntimeError: Exception from src/core/src/runtime/allocator.cpp:79:\nstd::bad_alloc\n",
    "OpenVINO could not convert resnet50: Couldn't get TorchScript module by tracing.\nException:\n[enforce fail at "
    "alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: you tried to allocate 102760448 bytes. "
    "Error code 12 (Cannot allocate memory)\nPlease check correctness of provided 'example_input'.",
    "converting resnet50 to OpenVINO IR failed: worker_cpu.convert exited with code 1 before reporting a result: "
    "ImportError: libtorch_cuda.so: failed to map segment from shared object",
    "ran out of memory converting test_resnet at batch 4096; try a smaller batch size or input size",
    "ran out of memory benchmarking resnet50 at batch 32 (_ArrayMemoryError: Unable to allocate 9.19 GiB for an array "
    "with shape (4096, 3, 448, 448) and data type float32); try a smaller batch size or input size",
]
NOT_OUT_OF_MEMORY = [
    # A SIGKILL from elsewhere (the kernel's OOM killer, a person) is a lost attempt, retried: not ours to explain.
    "converting resnet50 to OpenVINO IR failed: " + describe_exit(-9, "worker_cpu.convert") + ": no error output",
    "resnet50 failed with OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",  # GPU engines say it
    "resnet50 cannot fit in memory here: its inputs in flight ... alone exceed the 23,552 MB of this machine",
    "test_vit does not run at input size 40 (AssertionError: ...); try the model's default input size",
]


@pytest.mark.parametrize("message", OUT_OF_MEMORY)
def test_running_out_of_memory_is_recognised_however_it_reads(message: str) -> None:
    assert is_out_of_memory(message)
    outcome = reported(["failed", message], RESNET50, "building engine", LIMITS)
    assert outcome.kind == "failed"  # terminal: not retried
    assert outcome.payload.startswith("resnet50 ran out of memory while building engine (")
    assert "at its address-space limit of 27.8 GB (SPEEDBOARD_BENCHMARK_ADDRESS_SPACE_GB)" in outcome.payload
    assert "batch_size 8 or less" in outcome.payload and "would likely fit" in outcome.payload


@pytest.mark.parametrize("message", NOT_OUT_OF_MEMORY)
def test_other_failures_keep_their_own_message(message: str) -> None:
    assert not is_out_of_memory(message)
    assert reported(["failed", message], RESNET50, "converting", LIMITS).payload == message


def test_a_gpu_job_and_other_outcomes_are_reported_as_they_came() -> None:
    gpu = BenchSpec(**{**RESNET50.__dict__, "backend": "gpu", "engine": "torch"})
    assert reported(["failed", OUT_OF_MEMORY[0]], gpu, "measuring", LIMITS).payload == OUT_OF_MEMORY[0]
    assert reported(["cancelled"], RESNET50, "measuring", LIMITS).kind == "cancelled"


def test_the_message_names_the_limit_and_what_would_fit() -> None:
    detail = "Failed to allocate 166985728 bytes of memory"
    assert ran_out(RESNET50, LIMITS.allocation_limit(), "building engine", detail) == (
        "resnet50 ran out of memory while building engine (Failed to allocate 166985728 bytes of memory), at its "
        "address-space limit of 27.8 GB (SPEEDBOARD_BENCHMARK_ADDRESS_SPACE_GB): it ran batch_size 32, input_size 224 "
        "and streams 2; batch_size 8 or less or input_size 128 or less would likely fit; or raise "
        "SPEEDBOARD_BENCHMARK_ADDRESS_SPACE_GB")
    # The watchdog's: what the tree held, counted double (it was still growing), scaled down to the limit with a
    # fifth spare: (0.8 × 18.8 GB - 1 GB libraries - 0.1 GB weights) / (2 × 38.9 GB) of batch 256 is 47, so 32.
    message = over_rss(BenchSpec(**{**RESNET50.__dict__, "batch_size": 256}), LIMITS.rss_limit(), 40.0)
    assert message.startswith("resnet50 held 40.0 GB resident, over its resident-memory limit of 18.8 GB "
                              "(SPEEDBOARD_BENCHMARK_RSS_LIMIT_GB), and the worker stopped it: it ran batch_size 256")
    assert "batch_size 32 or less" in message and message.endswith("or raise SPEEDBOARD_BENCHMARK_RSS_LIMIT_GB")
    # Many streams: fewer of them is a way out too.
    streams = BenchSpec(**{**RESNET50.__dict__, "batch_size": 4, "streams": 8})
    assert over_rss(streams, LIMITS.rss_limit(), 19.0).endswith(
        "it ran batch_size 4, input_size 224 and streams 8; batch_size 1, input_size 128 or less, or streams 3 or "
        "fewer would likely fit; or raise SPEEDBOARD_BENCHMARK_RSS_LIMIT_GB")
    # Without an address-space limit, an allocation failed against the machine's own memory: no setting to raise.
    machine = MemoryLimits(0.0, 0.0, 4.3, 23.5).allocation_limit()
    assert ran_out(RESNET50, machine, "measuring", "std::bad_alloc").endswith("run it on a machine with more memory")
    assert "at the machine's 23.5 GB:" in ran_out(RESNET50, machine, "measuring", "std::bad_alloc")


def test_when_nothing_smaller_would_fit_it_says_so() -> None:
    tiny = BenchSpec(model="test_resnet", backend="cpu", engine="openvino", batch_size=1, input_size=32, streams=1)
    message = over_rss(tiny, MemoryLimits(0.0, 0.5, 4.3, 23.5).rss_limit(), 1.2)
    assert message.endswith("it ran batch_size 1, input_size 32 and streams 1, and no smaller batch, input size or "
                            "streams would fit; raise SPEEDBOARD_BENCHMARK_RSS_LIMIT_GB")


def test_what_fits_never_exceeds_what_the_inputs_alone_allow() -> None:
    # 4096 images of 416² in flight are 8 GB of inputs: under a 6.3 GB limit, scaling alone would say 512.
    big = BenchSpec(model="test_resnet", backend="cpu", engine="openvino", batch_size=4096, input_size=416, streams=1)
    limit = MemoryLimits(6.3, 0.0, 4.3, 23.5).allocation_limit()
    assert "batch_size 256 or less or input_size 96 or less would likely fit" in ran_out(big, limit, "converting", "x")


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in ("SPEEDBOARD_BENCHMARK_ADDRESS_SPACE_GB", "SPEEDBOARD_BENCHMARK_RSS_LIMIT_GB"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def test_default_limits_come_from_the_machines_memory(settings_env: pytest.MonkeyPatch) -> None:
    machine = usable_memory_gb()
    cpu, gpu = memory_limits("cpu"), memory_limits("gpu")
    assert reserved_gb(2) == 4.3 and cpu.reserved_gb == reserved_gb(logical_cpus())
    assert cpu.address_space_gb == round(machine + cpu.reserved_gb, 1) and cpu.rss_gb == round(0.8 * machine, 1)
    assert gpu.address_space_gb == 0.0 and gpu.rss_gb == cpu.rss_gb  # CUDA's reservations exceed any such limit
    settings_env.setenv("SPEEDBOARD_BENCHMARK_ADDRESS_SPACE_GB", "0")
    settings_env.setenv("SPEEDBOARD_BENCHMARK_RSS_LIMIT_GB", "3.5")
    get_settings.cache_clear()
    off = memory_limits("cpu")
    assert (off.address_space_gb, off.rss_gb) == (0.0, 3.5)
    assert off.allocation_limit().setting is None


def _run_under(limits: MemoryLimits, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, preexec_fn=limits.preexec,
                          timeout=60)


def test_the_address_space_limit_applies_to_the_process_and_what_it_starts() -> None:
    limits = MemoryLimits(address_space_gb=1.5, rss_gb=0.0, reserved_gb=4.3, machine_gb=23.5)
    child = ("import subprocess, sys; print(open('/proc/self/limits').read()); "
             "print(subprocess.run([sys.executable, '-c', 'print(open(\"/proc/self/limits\").read())'], "
             "capture_output=True, text=True).stdout)")
    done = _run_under(limits, child)
    lines = [line for line in done.stdout.splitlines() if line.startswith("Max address space")]
    assert len(lines) == 2 and all(line.split()[3] == str(int(1.5 * 2**30)) for line in lines), done.stdout
    # An allocation past it fails at once, as a MemoryError the benchmark process reports.
    over = _run_under(limits, "bytearray(2 * 2**30)")
    assert over.returncode == 1 and is_out_of_memory(over.stderr.strip().splitlines()[-1])
    assert _run_under(MemoryLimits(0.0, 0.0, 4.3, 23.5), "bytearray(2 * 2**30)").returncode == 0


def test_the_watchdog_reads_the_whole_process_tree() -> None:
    # A parent and its child each hold 300 MB they wrote (resident), then wait for stdin to close.
    hold = ("import sys; block = bytearray(300 * 2**20); block[::4096] = b'x' * len(block[::4096]); "
            "print('ready', flush=True); sys.stdin.read()")
    parent = (f"import subprocess, sys; child = subprocess.Popen([sys.executable, '-c', {hold!r}], stdin=sys.stdin, "
              f"stdout=subprocess.PIPE, text=True); child.stdout.readline(); {hold}")
    process = subprocess.Popen([sys.executable, "-c", parent], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        for proportional in (False, True):
            assert 0.58 < tree_memory_gb(process.pid, proportional) < 1.0
        assert MemoryLimits(0.0, 0.5, 4.3, 23.5).over_rss(process.pid) == pytest.approx(
            tree_memory_gb(process.pid, True), abs=0.05)
        assert MemoryLimits(0.0, 2.0, 4.3, 23.5).over_rss(process.pid) is None
        assert MemoryLimits(0.0, 0.0, 4.3, 23.5).over_rss(process.pid) is None  # 0: off
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=30)
