"""The cache folder's cap: least recently used entries go first, the last one used stays, the peaks are never counted."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.db.tables import Job
from shared.measurement.cache import cached
from shared.measurement.cache_locks import last_used
from shared.measurement.cache_sweep import entries, evict
from shared.measurement.pipeline import BenchmarkError, BenchSpec
from shared.settings import Settings, get_settings
from shared.worker.runner import bench_spec

KB = 1000


def entry(cache: Path, kind: str, key: str, used: float, size: int = KB) -> Path:
    """An entry as `cached` leaves it (files, meta.json, its lock file), last used at `used`; `size` bytes in all."""
    folder = cache / kind / key
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text("{}")
    (folder / "model.bin").write_bytes(b"x" * (size - 2))
    (folder / ".lock").touch()
    os.utime(folder / ".lock", (used, used))
    return folder


def gb(size: int) -> float:
    return size / 2**30


def test_the_least_recently_used_entries_go_first_across_engines_and_the_peaks_are_not_counted(tmp_path: Path) -> None:
    a = entry(tmp_path, "openvino", "a", used=1000)
    b = entry(tmp_path, "tensorrt", "b", used=3000)
    c = entry(tmp_path, "openvino", "c", used=2000)
    peaks = tmp_path / "peaks"
    peaks.mkdir()
    (peaks / "host-1234.json").write_bytes(b"x" * 10 * KB)  # counted, it would evict every entry but the newest
    assert [e.folder for e in entries(tmp_path)] == [a, c, b]
    assert evict(tmp_path, gb(2 * KB + 100)) == [a]  # 3 KB over a cap of 2.1 KB: the oldest one is enough
    assert c.exists() and b.exists() and (peaks / "host-1234.json").exists()
    assert evict(tmp_path, gb(2 * KB + 100)) == []  # already under
    assert evict(tmp_path, gb(KB + 100)) == [c] and b.exists()


def test_the_most_recently_used_entry_stays_even_bigger_than_the_cap_and_says_so(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    old = entry(tmp_path, "openvino", "old", used=1000)
    big = entry(tmp_path, "openvino", "big", used=2000, size=5 * KB)
    with caplog.at_level(logging.INFO, logger="speedboard.cache"):
        assert evict(tmp_path, gb(KB)) == [old]
    assert big.exists()
    assert any("alone takes" in record.message and "SPEEDBOARD_CACHE_MAX_GB" in record.message for record in caplog.records)


def test_no_cap_evicts_nothing(tmp_path: Path) -> None:
    entry(tmp_path, "openvino", "a", used=1000)
    entry(tmp_path, "openvino", "b", used=2000)
    assert evict(tmp_path, 0) == [] and len(entries(tmp_path)) == 2


def test_a_hit_stamps_the_entry_as_just_used(tmp_path: Path) -> None:
    a = entry(tmp_path, "openvino", "a", used=1000)
    b = entry(tmp_path, "openvino", "b", used=2000)

    def build(folder: Path) -> dict[str, int]:
        raise AssertionError("a hit builds nothing")

    assert cached(tmp_path / "openvino", "a", build) == (a, {}, True)
    assert last_used(a) > last_used(b) and [e.folder for e in entries(tmp_path)] == [b, a]


def test_writing_a_new_entry_evicts_down_to_the_cap_and_keeps_the_new_one(tmp_path: Path) -> None:
    old = entry(tmp_path, "tensorrt", "old", used=1000)
    older = entry(tmp_path, "openvino", "older", used=500)

    def build(folder: Path) -> dict[str, int]:
        (folder / "model.bin").write_bytes(b"x" * KB)
        return {"built": 1}

    folder, meta, hit = cached(tmp_path / "openvino", "new", build, max_gb=gb(2 * KB + 500))
    assert (folder, meta, hit) == (tmp_path / "openvino" / "new", {"built": 1}, False)
    assert not older.exists() and old.exists()
    assert json.loads((folder / "meta.json").read_text()) == {"built": 1}
    assert not [path for path in (tmp_path / "openvino").iterdir() if path.name.startswith(".")]  # no temp left


def test_a_failed_build_leaves_no_temp_folder(tmp_path: Path) -> None:
    def build(folder: Path) -> dict[str, int]:
        (folder / "partial.bin").write_bytes(b"x")
        raise BenchmarkError("conversion failed")

    with pytest.raises(BenchmarkError, match="conversion failed"):
        cached(tmp_path, "key", build, max_gb=1.0)
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_entry_is_a_clear_error_not_a_build(tmp_path: Path) -> None:
    (tmp_path / "key").mkdir()
    (tmp_path / "key" / "model.bin").write_bytes(b"half")

    def build(folder: Path) -> dict[str, int]:
        raise AssertionError("nothing to build: the entry is damaged")

    with pytest.raises(BenchmarkError, match="damaged; remove it"):
        cached(tmp_path, "key", build)


def test_the_cap_reaches_the_benchmark_process_and_a_negative_one_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPEEDBOARD_CACHE_MAX_GB", "3.5")
    get_settings.cache_clear()
    try:
        spec = bench_spec(Job(model="resnet18", backend="cpu", engine="openvino", queue="cpu"))
        assert spec.cache_max_gb == 3.5 and BenchSpec.from_json(spec.to_json()).cache_max_gb == 3.5
    finally:
        get_settings.cache_clear()
    assert BenchSpec(model="m", backend="cpu", engine="openvino").cache_max_gb == Settings.model_fields["cache_max_gb"].default
    with pytest.raises(ValidationError, match="cache_max_gb"):
        Settings(cache_max_gb=-1)
