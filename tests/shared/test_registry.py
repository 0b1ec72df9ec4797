"""The registry snapshot the API validates against matches the installed timm."""

from __future__ import annotations

import timm

from shared import registry, registry_build


def test_snapshot_is_exactly_what_the_installed_timm_generates() -> None:
    """Regenerates the whole snapshot (every model built on the meta device: about 2 minutes)."""
    snapshot = registry.load_snapshot()
    assert snapshot["timm"] == timm.__version__, "timm was upgraded: run `make registry`"
    fresh = registry_build.build()
    changed = [n for n in set(fresh["models"]) | set(snapshot["models"])
               if fresh["models"].get(n) != snapshot["models"].get(n)]
    assert not changed, f"the snapshot differs from timm for {sorted(changed)[:10]}: run `make registry`"
    assert registry_build.serialize(fresh) == registry.SNAPSHOT_PATH.read_bytes()


def test_lookup_and_suggestions() -> None:
    info = registry.lookup("resnet50")
    assert info is not None and info.input_size == 224 and "tv_in1k" in info.tags and info.params_m == 25.557
    assert registry.lookup("resnet_fifty") is None
    assert registry.closest("resnet5o")[0] == "resnet50"
    assert "convnext_tiny" in registry.closest("convnext_tinyy")
