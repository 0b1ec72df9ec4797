"""The CPU's matmul peak, measured through real OpenVINO: fp32 always, bf16 and int8 where the CPU has them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from shared.measurement.hardware import cpu_flags, physical_cores
from tests.conftest import REPO
from worker_cpu import peak


def test_the_module_prints_a_plausible_peak_per_supported_precision() -> None:
    done = subprocess.run([sys.executable, "-m", "worker_cpu.peak"], input=json.dumps({"seconds": 0.5}),
                          capture_output=True, text=True, timeout=120, cwd=REPO, check=True)
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(answer) == {"peak_gflops", "method", "versions"}
    peaks = answer["peak_gflops"]
    assert list(peaks) == peak.supported_precisions(cpu_flags())  # every supported precision really measured here
    assert all(1 < value < 50_000 * physical_cores() for value in peaks.values())
    assert "OpenVINO" in answer["method"] and f"{peak.M}x{peak.N}x{peak.K}" in answer["method"]
    assert f"{physical_cores()} streams" in answer["method"] and answer["versions"]["openvino"]


@pytest.mark.parametrize(("flags", "expected"), [
    (set(), ["fp32"]),
    ({"avx2"}, ["fp32"]),
    ({"avx2", "avx_vnni"}, ["fp32", "int8"]),
    ({"avx512f", "avx512_vnni"}, ["fp32", "int8"]),
    ({"avx512f", "avx512_vnni", "avx512_bf16"}, ["fp32", "bf16", "int8"]),
    ({"amx_tile", "amx_bf16", "amx_int8"}, ["fp32", "bf16", "int8"]),
])
def test_precisions_follow_the_cpu_flags(flags: set[str], expected: list[str]) -> None:
    assert peak.supported_precisions(flags) == expected


def test_int8_runs_as_an_int8_matmul_and_a_float_matmul_is_refused_as_int8() -> None:
    # OpenVINO's low-precision transformations run the FakeQuantized MatMul in u8 x i8; the check reads that
    # back from the runtime model.
    compiled = peak.compile_matmul("int8", physical_cores())
    assert peak.matmul_runtime_precision(compiled) in {"u8", "i8"}
    gflops, setup = peak.measure("int8", 0.3, physical_cores())
    assert gflops > 1 and setup["streams"] == physical_cores()
    float_model = peak.compile_matmul("fp32", physical_cores())
    assert peak.matmul_runtime_precision(float_model) == "f32"
    with pytest.raises(peak.PeakError, match="int8 MatMul in f32, not i8/u8: no int8 peak is reported"):
        peak.check_precision(float_model, "int8")


def test_without_vnni_openvino_still_runs_int8_so_the_flags_decide() -> None:
    # oneDNN capped at AVX2 stands in for an AVX2-only CPU: the MatMul still runs in u8 (slower than fp32 there),
    # which is why supported_precisions, not the runtime model, keeps int8 off CPUs without VNNI.
    code = "from worker_cpu import peak; print(peak.matmul_runtime_precision(peak.compile_matmul('int8', 1)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO, check=True,
                          env=os.environ | {"ONEDNN_MAX_CPU_ISA": "AVX2"})
    assert done.stdout.split()[-1] in {"u8", "i8"}
