"""Which ImageNet-1k figures apply to a benchmarked model: the shipped catalog, corrected by users' entries.

Imports no ML library: the API joins accuracy onto results at read time, so a correction applies
to every result of that model at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlmodel import SQLModel

from shared.catalog.seed import family_of
from shared.db.tables import CatalogEntry

CATALOG_PATH = Path(__file__).with_name("accuracy_catalog.json")


class Accuracy(SQLModel):
    """The ImageNet-1k figures that apply to a result, and where they come from."""

    top1: float | None = None
    top5: float | None = None
    top1_img_size: int | None = None
    top1_source: str | None = None
    family: str | None = None


@lru_cache
def load_catalog() -> dict[str, Any]:
    catalog: dict[str, Any] = json.loads(CATALOG_PATH.read_text())
    return catalog


def catalog_source() -> str:
    return str(load_catalog()["source"])


@lru_cache(maxsize=65536)
def published(arch: str, tag: str | None, input_size: int | None) -> Accuracy:
    """The figure at the benchmarked input size when published, otherwise at the tag's own size (or the nearest).

    Cached and shared: callers read it, never change it."""
    entry = load_catalog()["models"].get(arch)
    family = entry["family"] if entry else family_of(arch)
    tag_entry = entry["tags"].get(tag) if entry and tag else None
    if not tag_entry or not tag_entry["figures"]:
        return Accuracy(family=family)
    figures = tag_entry["figures"]
    exact = [f for f in figures if f["img_size"] == input_size]
    own = tag_entry["img_size"] or figures[0]["img_size"]
    figure = exact[0] if exact else min(figures, key=lambda f: (abs(f["img_size"] - own), f["img_size"]))
    return Accuracy(top1=figure["top1"], top5=figure["top5"], top1_img_size=figure["img_size"],
                    top1_source=catalog_source(), family=family)


@dataclass
class AccuracyBook:
    """The catalog plus the database's corrections and variants, for one request."""

    entries: dict[str, CatalogEntry]

    @classmethod
    def of(cls, entries: Iterable[CatalogEntry]) -> AccuracyBook:
        return cls({entry.name: entry for entry in entries})

    def lookup(self, model: str, tag: str | None, input_size: int | None) -> Accuracy:
        entry = self.entries.get(f"{model}.{tag}" if tag else model) or self.entries.get(model)
        if entry is None:
            return published(model, tag, input_size)
        family = entry.family or family_of(entry.base or model)
        if entry.top1 is None:
            return Accuracy(family=family)
        return Accuracy(top1=entry.top1, top5=entry.top5, top1_img_size=entry.img_size,  # None: its author did not say
                        top1_source=entry.source, family=family)


def unverified_accuracy(calibration: str | None, top1: float | None) -> str | None:
    """Why a result's top-1 (the published figure of the float model) is not its engine's own, or None when the
    published figure applies or there is none: an int8 engine calibrated on random inputs computes something close
    to the model, but how close on ImageNet nobody measured. (Engines calibrated and evaluated on real images come
    with their accuracy.)"""
    return "random calibration" if calibration == "random" and top1 is not None else None
