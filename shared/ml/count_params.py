"""Print a variant's parameter count as JSON: stdin `[base, kwargs]`, stdout `{"params_m": ...}` or `{"error": ...}`.

Run by shared.catalog.variants in its own process so that torch and timm stay out of the API process.
"""

from __future__ import annotations

import json
import sys
import warnings


def main() -> int:
    base, kwargs = json.loads(sys.stdin.read())
    import timm
    import torch

    try:
        with torch.device("meta"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = timm.create_model(base, pretrained=False, **kwargs)
    except Exception as error:  # noqa: BLE001  (the constructor's message is the user's to read)
        message = str(error).strip()[:400] or "the constructor rejected these arguments"
        print(json.dumps({"error": f"{type(error).__name__}: {message}"}))
        return 0
    print(json.dumps({"params_m": round(sum(p.numel() for p in model.parameters()) / 1e6, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
