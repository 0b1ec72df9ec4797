"""The registry snapshot the API validates against matches the installed timm."""

from __future__ import annotations

import timm

from shared import registry, registry_build

# Counting parameters builds each model (3 min for all 1,371): check a spread sample plus the seed's models.
SEED_MODELS = ["resnet50", "levit_256", "convnext_small", "mobilenetv3_large_100", "tresnet_m", "vit_base_patch16_224"]


def test_snapshot_lists_every_installed_timm_model_with_its_tags_and_size() -> None:
    snapshot = registry.load_snapshot()
    assert snapshot["timm"] == timm.__version__, "timm was upgraded: run `make registry`"
    names = timm.list_models()
    assert sorted(snapshot["models"]) == sorted(names), "timm's registry changed: run `make registry`"
    for name in names:
        entry = snapshot["models"][name]
        fresh = registry_build.describe_names(name)
        assert (entry["default_tag"], entry["tags"], entry["input_size"]) == fresh, name


def test_parameter_counts_match_timm() -> None:
    snapshot = registry.load_snapshot()["models"]
    sample = sorted(snapshot)[::40] + SEED_MODELS
    for name in sample:
        assert snapshot[name]["params_m"] == registry_build.describe(name)["params_m"], name


def test_lookup_and_suggestions() -> None:
    info = registry.lookup("resnet50")
    assert info is not None and info.input_size == 224 and "tv_in1k" in info.tags and info.params_m == 25.557
    assert registry.lookup("resnet_fifty") is None
    assert registry.closest("resnet5o")[0] == "resnet50"
    assert "convnext_tiny" in registry.closest("convnext_tinyy")
