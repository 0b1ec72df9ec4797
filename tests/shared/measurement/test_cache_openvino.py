"""A real OpenVINO job under a cap smaller than its own IR: older entries go, its IR stays and the next run hits it."""

from __future__ import annotations

from pathlib import Path

from shared.measurement.cache_sweep import entries
from shared.measurement.pipeline import BenchSpec, run_benchmark
from tests.shared.measurement.test_cache_eviction import entry


def test_a_tiny_cap_evicts_older_entries_and_the_next_run_still_hits_its_ir(tmp_path: Path) -> None:
    old_ir = entry(tmp_path, "openvino", "old", used=1000)
    old_engine = entry(tmp_path, "tensorrt", "old", used=2000)
    spec = BenchSpec(model="test_efficientnet", backend="cpu", engine="openvino", precision="fp16", batch_size=1,
                     streams=1, input_size=160, duration_s=1.0, cache_dir=tmp_path, cache_max_gb=1e-9)
    first = run_benchmark(spec, lambda *_: None, lambda: False)["run"]
    assert first["cache_hit"] is False and not old_ir.exists() and not old_engine.exists()
    [kept] = entries(tmp_path)
    assert (kept.folder / "model.xml").is_file() and kept.size > 2**30 * spec.cache_max_gb  # bigger than the cap alone
    second = run_benchmark(spec, lambda *_: None, lambda: False)["run"]
    assert second["cache_hit"] is True and [e.folder for e in entries(tmp_path)] == [kept.folder]
    assert sorted(path.name for path in (tmp_path / "openvino").iterdir()) == [kept.folder.name]  # no temp folder left
