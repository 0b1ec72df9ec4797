"""The registry snapshot the API validates against matches the installed timm."""

from __future__ import annotations

import timm

from shared.catalog import registry
from shared.catalog.seed import CURATED
from shared.ml import build_registry as registry_build


def test_snapshot_is_what_the_installed_timm_generates() -> None:
    """Every architecture, its tags and input size, exactly; parameter counts for the catalog's models and every
    8th architecture. Counting builds each model on the meta device: all of them take 2–4 minutes on 2 cores,
    which `make registry` spends, the suite does not."""
    snapshot = registry.load_snapshot()
    assert snapshot["timm"] == timm.__version__, "timm was upgraded: run `make registry`"
    names = timm.list_models()
    assert sorted(names) == sorted(snapshot["models"]), "the architectures differ from timm's: run `make registry`"
    stale = [n for n in names if registry_build.describe_names(n) != tuple(
        snapshot["models"][n][key] for key in ("default_tag", "tags", "input_size"))]
    assert not stale, f"tags or input sizes differ from timm for {stale[:10]}: run `make registry`"
    sample = sorted(set(names[::8]) | set(CURATED))
    fresh = registry_build.build(names=sample)["models"]
    changed = [n for n in sample if fresh[n] != snapshot["models"][n]]
    assert not changed, f"the snapshot differs from timm for {changed[:10]}: run `make registry`"
    assert registry_build.serialize(snapshot) == registry.SNAPSHOT_PATH.read_bytes()  # the file is its own format


def test_lookup_and_suggestions() -> None:
    info = registry.lookup("resnet50")
    assert info is not None and info.input_size == 224 and "tv_in1k" in info.tags and info.params_m == 25.557
    assert registry.lookup("resnet_fifty") is None
    assert registry.closest("resnet5o")[0] == "resnet50"
    assert "convnext_tiny" in registry.closest("convnext_tinyy")
