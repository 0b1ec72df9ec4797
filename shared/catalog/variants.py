"""Custom model variants: the constructor arguments a user may set, and their parameter count.

The API imports this module; the count runs timm in a short-lived subprocess (`shared.ml.count_params`)
so the API process itself never imports an ML library.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

from shared import InvalidRequest, Unavailable
from shared.jobs.vocabulary import RANGES

# Numeric and shape arguments of timm constructors: widths, depths, heads, ratios, sizes.
ALLOWED_KWARGS = frozenset({
    "img_size", "patch_size", "embed_dim", "embed_dims", "depth", "depths", "num_heads", "heads", "head_dim",
    "mlp_ratio", "mlp_ratios", "key_dim", "attn_ratio", "window_size", "width", "widths", "dims", "channels",
    "layers", "stem_width", "stem_chs", "base_width", "cardinality", "width_multiplier", "channel_multiplier",
    "depth_multiplier", "width_factor", "num_features", "num_classes", "groups", "group_size", "hidden_dim",
    "drop_rate", "drop_path_rate", "expansion", "down_ratio", "block_ratio",
})
REFUSED_PREFIXES = ("pretrained", "checkpoint", "cache_dir", "file", "path", "url", "hub")
MAX_INT = 1_000_000


class InvalidVariant(InvalidRequest):
    """The variant is refused; the message says why and what is accepted."""


class CannotCount(Unavailable):
    """This installation cannot build models (no torch or timm), so it cannot register variants."""


def check_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The kwargs unchanged when every key is on the allow-list and every value a number or a list of numbers."""
    for key, value in kwargs.items():
        if key.lower().startswith(REFUSED_PREFIXES):
            raise InvalidVariant(f"kwargs.{key} is refused: Speedboard never reads model files or downloads weights; "
                                 "a variant may only set numeric and shape arguments")
        if key not in ALLOWED_KWARGS:
            raise InvalidVariant(f"kwargs.{key} is not an allowed argument; allowed: {', '.join(sorted(ALLOWED_KWARGS))}")
        _check_value(key, value, depth=0)
    image_size(kwargs)
    return kwargs


def image_size(kwargs: dict[str, Any]) -> int | None:
    """The square input size `img_size` sets (a number, or a pair of equal numbers), None when unset."""
    size = kwargs.get("img_size")
    if isinstance(size, list) and len(size) == 2 and size[0] == size[1]:
        size = size[0]
    if size is None:
        return None
    low, high = RANGES["input_size"]
    if not isinstance(size, int) or not low <= size <= high:
        raise InvalidVariant(f"kwargs.img_size must be a whole number of pixels from {low} to {high}, or a pair of two "
                             f"equal ones (benchmarks run square images); got {size!r}")
    return size


def _check_value(key: str, value: Any, depth: int) -> None:
    if isinstance(value, bool) or value is None:
        raise InvalidVariant(f"kwargs.{key} must be a number or a list of numbers (got {value!r})")
    if isinstance(value, int):
        if not 0 <= value <= MAX_INT:
            raise InvalidVariant(f"kwargs.{key} must be between 0 and {MAX_INT:,} (got {value})")
        return
    if isinstance(value, float):
        if not math.isfinite(value) or not 0 <= value <= MAX_INT:
            raise InvalidVariant(f"kwargs.{key} must be a finite number between 0 and {MAX_INT:,} (got {value})")
        return
    if isinstance(value, list) and depth < 2 and 0 < len(value) <= 64:
        for item in value:
            _check_value(key, item, depth + 1)
        return
    raise InvalidVariant(f"kwargs.{key} must be a number or a list of numbers (got {value!r}); "
                         "strings are refused because they could name a file, URL or hub id")


def count_params(base: str, kwargs: dict[str, Any], timeout_s: float = 120) -> float:
    """Millions of parameters of timm's `base` built with `kwargs` on the meta device (nothing allocated)."""
    try:
        done = subprocess.run([sys.executable, "-m", "shared.ml.count_params"], input=json.dumps([base, kwargs]),
                              capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as error:
        raise InvalidVariant(f"building {base} with these kwargs took over {timeout_s:g} s; use smaller sizes") from error
    lines = done.stdout.strip().splitlines()
    if "ModuleNotFoundError" in done.stderr:
        raise CannotCount("registering a variant needs torch and timm beside the API to count its parameters; "
                          "install them with pip install 'speedboard[models]' (the compose API image has them)")
    if done.returncode != 0 or not lines:
        raise CannotCount(f"could not count the variant's parameters: {done.stderr.strip()[-300:]}")
    answer = json.loads(lines[-1])
    if "error" in answer:
        raise InvalidVariant(f"timm could not build {base} with {kwargs}: {answer['error']}")
    return float(answer["params_m"])
