"""Counting a custom variant's parameters in a subprocess, and what happens where timm is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.catalog.variants import CannotCount, InvalidVariant, check_kwargs, count_params


def test_counts_on_the_meta_device() -> None:
    assert count_params("test_vit", {"depth": 1}) == pytest.approx(0.1626, abs=1e-3)  # counts round to 1,000 parameters
    with pytest.raises(InvalidVariant, match="timm could not build test_vit"):
        count_params("test_vit", {"embed_dim": [64]})


def test_an_install_without_timm_says_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Shadow timm with a package that fails to import as a missing one does (as in an API image without ML libraries).
    (tmp_path / "timm").mkdir()
    (tmp_path / "timm" / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'timm'\")\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    with pytest.raises(CannotCount, match=r"pip install 'speedboard\[models\]'"):
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
