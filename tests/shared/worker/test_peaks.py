"""A worker's peak: measured once by a real peak module under the host lock, then cached; never fatal."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.measurement.peak_share import peak_share
from shared.worker.peaks import machine_peaks


def test_first_call_measures_and_the_second_reads_the_cache(tmp_path: Path) -> None:
    first = machine_peaks("worker_cpu.peak", tmp_path, 0.3, tmp_path / "host.lock", {})
    assert first["cached"] is False and first["peak_gflops"]["fp32"] > 1 and "OpenVINO" in first["method"]
    assert first["versions"]["openvino"] and first["measured_at"]
    assert len(list(tmp_path.glob("*.json"))) == 1
    second = machine_peaks("worker_cpu.peak", tmp_path, 0.3, tmp_path / "host.lock", {})
    assert second["cached"] is True and {**second, "cached": False} == first
    # Another key (the GPU worker's device, say) is another measurement.
    other = machine_peaks("worker_cpu.peak", tmp_path, 0.3, tmp_path / "host.lock", {"device": "x"})
    assert other["cached"] is False and len(list(tmp_path.glob("*.json"))) == 2


@pytest.mark.parametrize(("module", "reason"), [
    ("json.tool", "json.tool printed no JSON line"),  # runs, but prints its input back, indented
    ("no_such_peak_module", "No module named no_such_peak_module"),
])
def test_a_failed_measurement_gives_no_peak_and_is_not_cached(module: str, reason: str, tmp_path: Path) -> None:
    found = machine_peaks(module, tmp_path, 0.3, tmp_path / "host.lock", {})
    assert found["peak_gflops"] == {} and found["cached"] is False
    assert found["method"].startswith("not measured: ") and reason in found["method"]
    assert not list(tmp_path.glob("peaks/*.json"))  # the next start tries again


def test_peak_share_is_achieved_over_the_peak_of_the_precision_used() -> None:
    achieved, share = peak_share(4.0, 25.0, "fp32", {"fp32": 200.0, "int8": 800.0})
    assert achieved == pytest.approx(100.0) and share == pytest.approx(0.5)
    assert peak_share(4.0, 25.0, "bf16", {"fp32": 200.0}) == (pytest.approx(100.0), None)
    assert peak_share(4.0, 25.0, "fp32", {}) == (pytest.approx(100.0), None)
