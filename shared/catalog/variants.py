"""Custom model variants: the constructor arguments a user may set, the bounds on them, and a variant's states.

Imports nothing but `shared` and the vocabulary: the API checks a variant with it when it is registered, and the
benchmark process checks a job's kwargs again with it before timm is called (shared.measurement.pipeline.check_spec).
Counting a variant's parameters is shared.catalog.counting's, on a CPU worker.
"""

from __future__ import annotations

import math
from typing import Any

from shared import InvalidRequest
from shared.jobs.vocabulary import RANGES

# A variant is `pending` from POST /models until a CPU worker has counted its parameters: then `ready` (its jobs
# run) or `refused` (the reason says why: over the parameter limit, the constructor's error, a count that timed out).
PENDING, READY, REFUSED = "pending", "ready", "refused"
VARIANT_STATES = (PENDING, READY, REFUSED)

_LARGEST_SIZE = RANGES["input_size"][1]


def _family(high: float, what: str, *keys: str) -> dict[str, tuple[float, str]]:
    return dict.fromkeys(keys, (high, what))


# Numeric and shape arguments of timm constructors, each with the largest value a real network uses, with room to
# spare. The bounds keep a constructor's work (modules built, not parameters: those meet SPEEDBOARD_MAX_PARAMS_M)
# within seconds; each family says why its bound is where it is.
BOUNDS: dict[str, tuple[float, str]] = {
    **_family(16_384, "widths and dims (the widest published vision models, e.g. ViT-22B at 6,144, stay far below)",
              "embed_dim", "embed_dims", "width", "widths", "dims", "channels", "stem_width", "stem_chs", "base_width",
              "num_features", "hidden_dim", "head_dim", "key_dim", "group_size"),
    **_family(1_000, "depths and layers (ResNet-1001, the deepest published, has 333 blocks)",
              "depth", "depths", "layers"),
    **_family(1_024, "heads and groups (real models use at most a few dozen)", "num_heads", "heads", "cardinality", "groups"),
    **_family(64, "ratios and multipliers (real models use 0.25 to 8)",
              "mlp_ratio", "mlp_ratios", "attn_ratio", "expansion", "down_ratio", "block_ratio", "width_multiplier",
              "channel_multiplier", "depth_multiplier", "width_factor"),
    **_family(_LARGEST_SIZE, "sizes in pixels (no larger than the largest input size)", "img_size", "patch_size",
              "window_size"),
    **_family(100_000, "classes (ImageNet-21k has 21,843)", "num_classes"),
    **_family(1, "drop rates (probabilities)", "drop_rate", "drop_path_rate"),
}
ALLOWED_KWARGS = frozenset(BOUNDS)
REFUSED_PREFIXES = ("pretrained", "checkpoint", "cache_dir", "file", "path", "url", "hub")


class InvalidVariant(InvalidRequest):
    """The variant is refused; the message says why and what is accepted."""


def check_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The kwargs unchanged when every key is on the allow-list and every value a number, or a list of numbers,
    within its family's bounds."""
    if not isinstance(kwargs, dict):
        raise InvalidVariant(f"kwargs must be an object of constructor arguments (got {type(kwargs).__name__})")
    for key, value in kwargs.items():
        if str(key).lower().startswith(REFUSED_PREFIXES):
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
    if not isinstance(size, int) or isinstance(size, bool) or not low <= size <= high:
        raise InvalidVariant(f"kwargs.img_size must be a whole number of pixels from {low} to {high}, or a pair of two "
                             f"equal ones (benchmarks run square images); got {size!r}")
    return size


def _check_value(key: str, value: Any, depth: int) -> None:
    if isinstance(value, bool) or value is None:
        raise InvalidVariant(f"kwargs.{key} must be a number or a list of numbers (got {value!r})")
    if isinstance(value, int | float):
        high, what = BOUNDS[key]
        if (isinstance(value, float) and not math.isfinite(value)) or not 0 <= value <= high:
            raise InvalidVariant(f"kwargs.{key} must be a finite number between 0 and {high:,g} (got {value}): "
                                 f"the bound on {what}")
        return
    if isinstance(value, list) and depth < 2 and 0 < len(value) <= 64:
        for item in value:
            _check_value(key, item, depth + 1)
        return
    raise InvalidVariant(f"kwargs.{key} must be a number or a list of numbers (got {value!r}); "
                         "strings are refused because they could name a file, URL or hub id")
