"""A custom variant's kwargs (the allow-list and each family's bounds) and its parameter count in a subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.catalog.counting import count_params
from shared.catalog.variants import ALLOWED_KWARGS, BOUNDS, InvalidVariant, check_kwargs


def test_counts_on_the_meta_device() -> None:
    assert count_params("test_vit", {"depth": 1}) == pytest.approx(0.1626, abs=1e-3)  # counts round to 1,000 parameters
    with pytest.raises(InvalidVariant, match="timm could not build test_vit"):
        count_params("test_vit", {"embed_dim": [64]})


def test_a_count_that_outlasts_its_timeout_is_refused() -> None:
    # Far shorter than starting Python with torch and timm takes: the constructor never gets to finish.
    with pytest.raises(InvalidVariant, match=r"took over 0\.01 s; register it again with smaller sizes"):
        count_params("test_vit", {"depth": 1}, timeout_s=0.01)


def test_a_worker_without_timm_refuses_with_what_went_wrong(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Shadow timm with a package that fails to import as a missing one does.
    (tmp_path / "timm").mkdir()
    (tmp_path / "timm" / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'timm'\")\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    with pytest.raises(InvalidVariant, match="could not count the variant's parameters .*No module named 'timm'"):
        count_params("test_vit", {"depth": 1})


def test_nested_lists_of_numbers_pass_and_deeper_nesting_does_not() -> None:
    assert check_kwargs({"depths": [2, 2], "embed_dim": [[1, 2], [3, 4]], "mlp_ratio": 2.5}) == {
        "depths": [2, 2], "embed_dim": [[1, 2], [3, 4]], "mlp_ratio": 2.5}
    with pytest.raises(InvalidVariant):
        check_kwargs({"depths": [[[1]]]})
    with pytest.raises(InvalidVariant):
        check_kwargs({"depths": []})
    with pytest.raises(InvalidVariant):
        check_kwargs({"mlp_ratio": float("inf")})
    with pytest.raises(InvalidVariant, match="between 0 and 16,384"):
        check_kwargs({"embed_dim": 10**400})  # too large for a float: refused, not an OverflowError


@pytest.mark.parametrize(("key", "high", "family"), [
    ("embed_dim", 16_384, "widths and dims"), ("channels", 16_384, "widths and dims"),
    ("depth", 1_000, "depths and layers"), ("layers", 1_000, "depths and layers"),
    ("num_heads", 1_024, "heads and groups"), ("mlp_ratio", 64, "ratios and multipliers"),
    ("patch_size", 1_024, "sizes in pixels"), ("num_classes", 100_000, "classes"), ("drop_path_rate", 1, "drop rates"),
])
def test_each_family_of_kwargs_has_a_realistic_bound(key: str, high: int, family: str) -> None:
    assert check_kwargs({key: high}) == {key: high}
    assert check_kwargs({key: [high, 1]}) == {key: [high, 1]}
    with pytest.raises(InvalidVariant, match=f"kwargs.{key} must be a finite number between 0 and {high:,}.*{family}"):
        check_kwargs({key: high + 1})
    with pytest.raises(InvalidVariant, match=f"kwargs.{key} must be a finite number between 0 and {high:,}"):
        check_kwargs({key: [1, 1_000_000]})


def test_every_allowed_argument_has_a_bound() -> None:
    assert ALLOWED_KWARGS == set(BOUNDS) and all(high <= 100_000 for high, _ in BOUNDS.values())
