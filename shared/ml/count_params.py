"""Print a variant's parameter count as JSON: stdin `[base, kwargs]`, stdout `{"params_m": ...}` or `{"error": ...}`.

Run by shared.catalog.counting on a CPU worker, in a process of its own: a constructor that hangs is killed at the
timeout, and the worker's own process never holds a model.
"""

from __future__ import annotations

import json
import sys
import warnings
from typing import Any

import timm  # at module level: a missing ML library ends the process with ModuleNotFoundError, which refuses the variant
import torch


def params_m(arch: str, **kwargs: Any) -> float:
    """Millions of parameters of timm's `arch` built with `kwargs`, on the meta device: nothing is allocated, so
    billion-parameter models count in a moment. Raises whatever the constructor raises."""
    with torch.device("meta"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = timm.create_model(arch, pretrained=False, **kwargs)
    return round(sum(p.numel() for p in model.parameters()) / 1e6, 3)


def main() -> int:
    base, kwargs = json.loads(sys.stdin.read())
    try:
        count = params_m(base, **kwargs)
    except Exception as error:  # noqa: BLE001  (the constructor's message is the user's to read)
        message = str(error).strip()[:400] or "the constructor rejected these arguments"
        print(json.dumps({"error": f"{type(error).__name__}: {message}"}))
        return 0
    print(json.dumps({"params_m": count}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
