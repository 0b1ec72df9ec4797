"""The accuracy catalog: its integrity against timm, and which figure applies to a benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from timm.models import get_arch_pretrained_cfgs

from shared.catalog.accuracy import CATALOG_PATH, AccuracyBook, load_catalog, published
from shared.catalog.registry import load_snapshot
from shared.catalog.seed import CURATED, SEED_MODELS, SEED_SETTINGS, family_of
from shared.db.tables import CatalogEntry
from shared.jobs.vocabulary import FAMILIES
from shared.ml.build_accuracy_catalog import build, serialize


def test_every_entry_is_a_timm_model_and_tag_with_figures_in_range() -> None:
    def refuse_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), f"duplicate keys: {sorted(k for k in keys if keys.count(k) > 1)}"
        return dict(pairs)

    catalog = json.loads(CATALOG_PATH.read_text(), object_pairs_hook=refuse_duplicates)
    assert catalog["timm"] == load_snapshot()["timm"], "regenerate with `make catalog CSV=...` after a timm upgrade"
    for arch, entry in catalog["models"].items():
        assert entry["family"] in FAMILIES, arch
        tags = {key.split(".", 1)[1] for key in get_arch_pretrained_cfgs(arch) if "." in key}
        assert tags, f"{arch} is not in the installed timm"
        for tag, figures in entry["tags"].items():
            assert tag in tags, f"{arch}.{tag} is not a timm pretrained tag"
            assert figures["figures"], f"{arch}.{tag} has no figures"
            for figure in figures["figures"]:
                assert 0 < figure["top1"] <= 100 and (figure["top5"] is None or figure["top1"] <= figure["top5"] <= 100)
                assert 32 <= figure["img_size"] <= 1024


def test_every_seed_and_curated_model_has_a_known_top1_at_its_default_tag() -> None:
    registry = load_snapshot()["models"]
    assert set(SEED_MODELS) <= set(CURATED)
    for arch in CURATED:
        accuracy = published(arch, registry[arch]["default_tag"], registry[arch]["input_size"])
        assert accuracy.top1 is not None, f"{arch} has no published top-1 at its default tag"
        assert accuracy.family == CURATED[arch][0]
    assert set(SEED_SETTINGS) == {"cpu", "gpu"}


def test_the_figure_at_the_benchmarked_size_else_the_tags_own_size() -> None:
    exact = published("resnet50", "a1_in1k", 288)  # published at 224 and 288
    assert (exact.top1, exact.top1_img_size) == (81.24, 288)
    own = published("resnet50", "a1_in1k", 256)  # not published at 256: the tag's own size, 224
    assert (own.top1, own.top1_img_size) == (80.382, 224)
    small = published("resnet50", "a1h_in1k", 200)  # a1h_in1k's own size is 176
    assert (small.top1, small.top1_img_size) == (79.264, 176)
    assert published("resnet50", "tv_in1k", 224).top1 == 76.156
    unknown = published("resnet50", "bamboo", 224)  # a tag without ImageNet-1k figures
    assert unknown.top1 is None and unknown.family == "CNN"
    assert published("test_vit", None, 160).top1 is None


def test_corrections_and_variants_take_precedence() -> None:
    book = AccuracyBook.of([
        CatalogEntry(name="resnet50.a1_in1k", kind="correction", top1=79.0, source="my eval", img_size=224),
        CatalogEntry(name="levit_768_star", kind="variant", base="levit_384", top1=84.2, source="seed chart"),
        CatalogEntry(name="no_figure", kind="variant", base="resnet50"),
    ])
    corrected = book.lookup("resnet50", "a1_in1k", 288)
    assert (corrected.top1, corrected.top1_source, corrected.top1_img_size) == (79.0, "my eval", 224)
    assert book.lookup("resnet50", "tv_in1k", 224).top1 == 76.156  # other tags keep the published figure
    variant = book.lookup("levit_768_star", None, 224)
    assert (variant.top1, variant.family) == (84.2, "hybrid")  # the base's family
    assert variant.top1_img_size is None  # never claimed for a size nobody stated
    assert book.lookup("no_figure", None, 224).top1 is None


def test_build_keeps_every_size_of_a_tag_and_drops_models_timm_lacks(tmp_path: Path) -> None:
    csv_path = tmp_path / "results.csv"
    csv_path.write_text(
        "model,img_size,top1,top1_err,top5,top5_err,param_count,crop_pct,interpolation\n"
        "resnet50.a1_in1k,288,81.240,18.760,95.112,4.888,25.56,1.000,bicubic\n"
        "resnet50.a1_in1k,224,80.382,19.618,94.598,5.402,25.56,0.950,bicubic\n"
        "eva_giant_patch14_560.m30m_ft_in22k_in1k,560,89.790,10.210,98.990,1.010,\"1,014.45\",1.000,bicubic\n"
        "not_a_timm_model.x,224,50.0,50.0,70.0,30.0,1.0,1.0,bicubic\n"
    )
    catalog = build(csv_path)
    tag = catalog["models"]["resnet50"]["tags"]["a1_in1k"]
    assert tag["img_size"] == 224 and [f["img_size"] for f in tag["figures"]] == [224, 288]
    assert catalog["models"]["eva_giant_patch14_560"]["tags"]["m30m_ft_in22k_in1k"]["figures"][0]["params_m"] == 1014.45
    assert "not_a_timm_model" not in catalog["models"]
    assert set(CURATED) <= set(catalog["models"])  # curated models are listed even without figures
    assert json.loads(serialize(catalog)) == catalog


@pytest.mark.parametrize(("arch", "family"), [
    ("levit_256", "hybrid"), ("vit_large_patch16_224", "transformer"), ("mobilenetv4_hybrid_large", "mobile"),
    ("resmlp_big_24_224", "MLP"), ("resnext50_32x4d", "CNN"), ("efficientnet_b7", "mobile"),
])
def test_family_of(arch: str, family: str) -> None:
    assert family_of(arch) == family
    assert load_catalog()["models"].get(arch, {"family": family})["family"] == family
