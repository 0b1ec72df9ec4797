"""Regenerate the accuracy catalog from timm's published ImageNet-1k results.

    python -m shared.ml.build_accuracy_catalog path/to/results-imagenet.csv

timm publishes its figures as `results/results-imagenet.csv` in its repository; the catalog keeps
the figures (facts), not the file. Imports timm (for each tag's own input size): workers, tests
and this script use it, never the API.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

from timm.models import get_pretrained_cfg

from shared.catalog.accuracy import CATALOG_PATH
from shared.catalog.registry import load_snapshot
from shared.catalog.seed import CURATED, family_of

SOURCE = "timm results-imagenet.csv (ImageNet-1k validation)"


def _number(text: str) -> float | None:
    text = text.replace(",", "").strip()
    return float(text) if text else None


def tag_input_size(arch: str, tag: str) -> int | None:
    cfg = get_pretrained_cfg(f"{arch}.{tag}")
    return int(cfg.input_size[-1]) if cfg is not None else None


def build(csv_path: Path) -> dict[str, Any]:
    registry = load_snapshot()["models"]
    models: dict[str, Any] = {}
    with csv_path.open(newline="") as f:
        for row in csv.DictReader(f):
            arch, _, tag = row["model"].partition(".")
            if arch not in registry or not tag:
                continue  # figures for models this timm no longer has cannot be benchmarked
            entry = models.setdefault(arch, {"family": family_of(arch), "tags": {}})
            figures = entry["tags"].setdefault(tag, {"img_size": tag_input_size(arch, tag), "figures": []})["figures"]
            figures.append({"img_size": int(row["img_size"]), "top1": _number(row["top1"]), "top5": _number(row["top5"]),
                            "params_m": _number(row["param_count"])})
    for arch, (family, label) in CURATED.items():
        entry = models.setdefault(arch, {"family": family, "tags": {}})
        entry["family"], entry["label"] = family, label
    for entry in models.values():
        for tag in entry["tags"].values():
            tag["figures"].sort(key=lambda figure: figure["img_size"])
    return {"source": SOURCE, "timm": load_snapshot()["timm"], "models": dict(sorted(models.items()))}


def serialize(catalog: dict[str, Any]) -> str:
    """One architecture per line: small, and a figure's correction shows as a one-line diff."""
    lines = [f"  {json.dumps(arch)}: {json.dumps(entry, sort_keys=True, separators=(',', ':'))}"
             for arch, entry in catalog["models"].items()]
    header = {key: value for key, value in catalog.items() if key != "models"}
    head = json.dumps(header, sort_keys=True)[:-1]
    return head + ', "models": {\n' + ",\n".join(lines) + "\n}}\n"


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python -m shared.ml.build_accuracy_catalog path/to/results-imagenet.csv")
    catalog = build(Path(sys.argv[1]))
    CATALOG_PATH.write_text(serialize(catalog))
    print(f"wrote {len(catalog['models'])} architectures to {CATALOG_PATH}")


if __name__ == "__main__":
    main()
