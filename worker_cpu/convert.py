"""Convert a model to OpenVINO IR in a process of its own: `python -m worker_cpu.convert FOLDER`, the benchmark
spec as JSON on stdin, the cache metadata (or `{"error": ...}`) as JSON on stdout.

The benchmark process then never imports torch or timm: what it holds while measuring (its peak resident memory,
a result's `peak_rss_mb`) is what serving the IR takes, not the conversion's leftovers.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np
import openvino as ov
import torch

from shared.measurement.pipeline import BenchmarkError, BenchSpec
from shared.ml.prepare import prepare
from worker_cpu.openvino_engine import weights_format


def convert(spec: BenchSpec, folder: Path) -> dict[str, Any]:
    """Export the fused torch model to OpenVINO IR with a static input shape (quantized for an int8 job); returns the
    cache metadata."""
    started = time.perf_counter()
    torch.manual_seed(0)  # random weights (they time the same as trained ones), the same at every conversion
    model = prepare(spec.base_model or spec.model, spec.input_size, spec.batch_size, spec.model_kwargs)
    try:
        ir = ov.convert_model(model.module, example_input=np.zeros(model.input_shape, np.float32), input=[model.input_shape])
    except Exception as error:  # noqa: BLE001
        raise BenchmarkError(f"OpenVINO could not convert {spec.model}: {str(error).strip()[:500]}") from error
    quantized: dict[str, Any] = {}
    if spec.precision == "int8":
        from worker_cpu.quantize import quantize  # NNCF only where it is used

        ir, quantized = quantize(ir, str(spec.calibration), model.input_shape)
    ov.save_model(ir, folder / "model.xml", compress_to_fp16=weights_format(spec.precision) == "fp16")
    return {"params_m": model.params_m, "gflops": model.gflops, "convert_s": time.perf_counter() - started,
            "quantization": quantized or None}


def main() -> int:
    spec = BenchSpec.from_json(sys.stdin.read())
    try:
        answer = convert(spec, Path(sys.argv[1]))
    except BenchmarkError as error:
        answer = {"error": str(error)}
    except MemoryError:
        answer = {"error": f"ran out of memory converting {spec.model} at batch {spec.batch_size}; "
                           "try a smaller batch size or input size"}
    except Exception as error:  # noqa: BLE001  (anything else still fails the job with a reason)
        traceback.print_exc()
        answer = {"error": f"converting {spec.model} failed with {type(error).__name__}: {str(error)[:500]}"}
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
