"""Request bodies the API accepts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RANGES = {
    "batch_size": (1, 4096),
    "streams": (1, 256),
    "input_size": (32, 1024),
    "duration_s": (1, 600),
}


class JobCreate(BaseModel):
    """A benchmark to run. Only `model` and `backend` are required; the rest follow the seed study."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="timm architecture, optionally with a pretrained tag: resnet50 or resnet50.tv_in1k",
                       min_length=1, max_length=200, examples=["resnet50"])
    backend: Literal["cpu", "gpu"]
    engine: Literal["openvino", "tensorrt", "torch"] | None = Field(
        default=None, description="openvino (cpu, default), tensorrt (gpu, default) or torch (gpu)")
    precision: Literal["fp32", "fp16", "bf16"] = "fp16"
    batch_size: int | None = Field(default=None, ge=1, le=4096, description="default 1 on cpu, 256 on gpu")
    streams: int | None = Field(default=None, ge=1, le=256, description="default: the worker's physical cores")
    input_size: int | None = Field(default=None, ge=32, le=1024, description="default: the model's own size")
    duration_s: float = Field(default=10.0, ge=1, le=600)
