"""Build a timm model for inference: random weights (never downloaded), eval mode, batch-norm fused."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import timm
import torch
from torch.utils.flop_counter import FlopCounterMode

from shared.measurement.pipeline import BenchmarkError
from shared.ml.fusion import fuse_batchnorm


@dataclass
class PreparedModel:
    module: torch.nn.Module
    params_m: float
    gflops: float
    input_shape: tuple[int, int, int, int]


def create(name: str, input_size: int, kwargs: dict[str, Any] | None = None) -> torch.nn.Module:
    """timm.create_model with pretrained=False; sizes other than the default go to `img_size` where the model takes one.

    `kwargs` (a custom variant's, already checked against the allow-list) go to the constructor.
    """
    kwargs = dict(kwargs or {})

    def build(**extra: Any) -> torch.nn.Module:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)  # the same random weights every time: the engine gets the graph `export` writes
            return timm.create_model(name, pretrained=False, **kwargs, **extra)

    try:
        model = build()
        if ("img_size" not in kwargs and model.pretrained_cfg.get("input_size", (3, 224, 224))[-1] != input_size
                and _needs_img_size(model)):
            model = build(img_size=input_size)
    except Exception as error:  # noqa: BLE001  (any constructor error is the user's to read)
        what = f"{name!r} with {kwargs}" if kwargs else repr(name)
        raise BenchmarkError(f"timm could not build {what} at input size {input_size}: {error}") from error
    return model.eval()


def _needs_img_size(model: torch.nn.Module) -> bool:
    # Models with fixed position embeddings (ViT, Swin, ...) carry their image size.
    return hasattr(model, "patch_embed") or "img_size" in getattr(model, "default_cfg", {})


def prepare(name: str, input_size: int, batch_size: int, kwargs: dict[str, Any] | None = None) -> PreparedModel:
    model = create(name, input_size, kwargs)
    params_m = sum(p.numel() for p in model.parameters()) / 1e6
    fused = fuse(model, name, input_size)
    with runs_at(name, input_size):
        gflops = count_gflops(fused, input_size)
    return PreparedModel(fused, params_m, gflops, (batch_size, 3, input_size, input_size))


def fuse(model: torch.nn.Module, name: str, input_size: int) -> torch.nn.Module:
    """`model` with batch-norm folded in (in place), or an error saying the size does not suit it."""
    with runs_at(name, input_size), torch.no_grad():
        return fuse_batchnorm(model, example_input=torch.zeros(1, 3, input_size, input_size))


@contextmanager
def runs_at(name: str, input_size: int) -> Iterator[None]:
    try:
        yield
    except Exception as error:  # noqa: BLE001  (typically a size the architecture cannot take)
        raise BenchmarkError(f"{name} does not run at input size {input_size} ({type(error).__name__}: {error}); "
                             "try the model's default input size") from error


def count_gflops(model: torch.nn.Module, input_size: int) -> float:
    """GFLOPs per image, counted as 2 x multiply-accumulates (torch's FLOP counter convention)."""
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.zeros(1, 3, input_size, input_size))
    return counter.get_total_flops() / 1e9
