"""Request bodies the API accepts."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.models import BackendName, PrecisionName

RANGES = {
    "batch_size": (1, 4096),
    "streams": (1, 256),
    "input_size": (32, 1024),
    "duration_s": (1, 600),
}



def _ranged(name: str, default: float | None, description: str) -> Any:
    low, high = RANGES[name]
    return Field(default=default, ge=low, le=high, description=f"{low}-{high}; {description}")


class JobCreate(BaseModel):
    """A benchmark to run. Only `model` and `backend` are required; the rest follow the seed study."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="timm architecture, optionally with a pretrained tag: resnet50 or resnet50.tv_in1k",
                       min_length=1, max_length=200, examples=["resnet50"])
    backend: BackendName
    engine: Literal["openvino", "tensorrt", "torch"] | None = Field(
        default=None, description="openvino (cpu, default), tensorrt (gpu, default) or torch (gpu)")
    precision: PrecisionName = "fp16"
    batch_size: int | None = _ranged("batch_size", None, "default 1 on cpu, 256 on gpu")
    streams: int | None = _ranged("streams", None, "default: the worker's physical cores")
    input_size: int | None = _ranged("input_size", None, "default: the model's own size")
    duration_s: float = _ranged("duration_s", 10.0, "seconds of measuring, after a 2 s warm-up")
