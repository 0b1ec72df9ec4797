"""Tests for shared.ml.fusion: BatchNorm folding must remove every executed BatchNorm without changing outputs."""
import copy
from typing import Any

import pytest
import timm
import torch
import torch.nn.functional as F
from timm.layers import BatchNormAct2d, StdConv2d
from torch import nn
from torch.overrides import TorchFunctionMode

from shared.ml.fusion import fuse_batchnorm, is_batchnorm, randomize_batchnorms

SEED = 0
# name -> BatchNorm flavour that must be present before fusing (so each case exercises its code path).
MODELS: dict[str, type] = {
    "test_resnet": nn.BatchNorm2d,       # Conv2d + BatchNorm2d
    "test_efficientnet": BatchNormAct2d,  # Conv2d + timm BatchNormAct2d (BN + drop + act in one module)
    "test_byobnet": BatchNormAct2d,       # ConvNormAct blocks in a different timm family
    "levit_128s": nn.BatchNorm1d,         # LeViT LinearNorm (Linear + BN1d) and NormLinear head (BN1d + Linear)
}


def count_batchnorms(model: nn.Module) -> int:
    """Number of BatchNorm modules (BatchNorm1d/2d, timm BatchNormAct2d, frozen variants) still in ``model``."""
    return sum(1 for m in model.modules() if is_batchnorm(m))


class _CountFunctionalBN(TorchFunctionMode):
    """Counts F.batch_norm calls, catching a BatchNorm that runs functionally rather than as a module."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        self.calls += func in (F.batch_norm, torch.batch_norm)
        return func(*args, **(kwargs or {}))


def batchnorm_calls(model: nn.Module, x: torch.Tensor) -> tuple[int, int]:
    """(BatchNorm module forward calls, functional batch_norm calls) during one forward of `model`."""
    calls = [0]
    hooks = [m.register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
             for m in model.modules() if is_batchnorm(m)]
    try:
        with torch.no_grad(), _CountFunctionalBN() as fn:
            model(x)
    finally:
        for h in hooks:
            h.remove()
    return calls[0], fn.calls


def assert_same_output(out: torch.Tensor, ref: torch.Tensor) -> None:
    """Absolute tolerance 1e-4 x the output scale. Folding only reorders float32 rounding (observed <= ~1e-6
    relative), while a wrong fold (missing shift/scale, wrong channel axis) moves outputs by O(scale)."""
    atol = 1e-4 * max(1.0, ref.abs().max().item())
    torch.testing.assert_close(out, ref, rtol=0.0, atol=atol)


@pytest.fixture(scope="module", params=list(MODELS))
def case(request: pytest.FixtureRequest) -> dict[str, Any]:
    name = request.param
    torch.manual_seed(SEED)
    model = randomize_batchnorms(timm.create_model(name, pretrained=False)).eval()
    x = torch.randn(2, *model.pretrained_cfg.get("input_size", (3, 224, 224)))
    with torch.no_grad():
        ref = model(x)
    fused = copy.deepcopy(model)
    returned = fuse_batchnorm(fused)
    return dict(name=name, model=model, fused=fused, returned=returned, x=x, ref=ref)


def test_model_has_expected_batchnorm_kind(case: dict[str, Any]) -> None:
    kind = MODELS[case["name"]]
    assert any(type(m) is kind for m in case["model"].modules()), f"{case['name']} has no {kind.__name__}"


def test_fused_output_matches(case: dict[str, Any]) -> None:
    assert case["returned"] is case["fused"]  # works in place
    assert not case["fused"].training
    with torch.no_grad():
        out = case["fused"](case["x"])
    assert_same_output(out, case["ref"])
    print(f"{case['name']}: max abs diff {(out - case['ref']).abs().max().item():.3e}")


def test_no_batchnorm_runs_after_fusion(case: dict[str, Any]) -> None:
    before = batchnorm_calls(case["model"], case["x"])
    assert before[0] > 0 and before[1] > 0  # the counters do see BatchNorms, so a zero below means something
    assert batchnorm_calls(case["fused"], case["x"]) == (0, 0)
    assert count_batchnorms(case["model"]) > 0
    assert count_batchnorms(case["fused"]) == 0


def test_comparison_detects_a_corrupted_fusion(case: dict[str, Any]) -> None:
    broken = copy.deepcopy(case["fused"])
    layer = next(m for m in broken.modules() if isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None)
    with torch.no_grad():
        layer.weight[0].mul_(1.5)  # as if one channel's BN scale had been applied wrongly
        layer.bias[0].add_(1.0)
        out = broken(case["x"])
    with pytest.raises(AssertionError):
        assert_same_output(out, case["ref"])


# --- generic folding on small hand-built models (no timm fuse() helpers involved) ---

def _check(model: nn.Module, x: torch.Tensor, expect_left: int) -> nn.Module:
    torch.manual_seed(SEED)
    model = randomize_batchnorms(model).eval()
    with torch.no_grad():
        ref = model(x)
    fused = fuse_batchnorm(copy.deepcopy(model), example_input=x)
    with torch.no_grad():
        assert_same_output(fused(x), ref)
    assert count_batchnorms(fused) == expect_left
    return fused


def test_linear_bn1d_and_bn1d_linear_are_folded() -> None:
    torch.manual_seed(SEED)
    model = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16), nn.ReLU(),
                          nn.BatchNorm1d(16), nn.Linear(16, 4))
    fused = _check(model, torch.randn(2, 8), expect_left=0)
    assert batchnorm_calls(fused, torch.randn(2, 8)) == (0, 0)


def test_batchnormact_keeps_activation() -> None:
    torch.manual_seed(SEED)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), BatchNormAct2d(8, act_layer=nn.ReLU))
    fused = _check(model, torch.randn(2, 3, 8, 8), expect_left=0)
    assert isinstance(fused[1].act, nn.ReLU)
    assert (fused(torch.randn(2, 3, 8, 8)) >= 0).all()


class _ConvBnResidual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv, self.bn = nn.Conv2d(4, 4, 3, padding=1), nn.BatchNorm2d(4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        return self.bn(y) + y  # conv output also used outside the BN: folding would corrupt `+ y`


class _SharedConv(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv, self.bn1, self.bn2 = nn.Conv2d(4, 4, 1), nn.BatchNorm2d(4), nn.BatchNorm2d(4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn1(self.conv(x)) + self.bn2(self.conv(x))  # one conv, two different BNs


@pytest.mark.parametrize("model,shape", [
    (_ConvBnResidual(), (2, 4, 6, 6)),
    (_SharedConv(), (2, 4, 6, 6)),
    (nn.Sequential(nn.Linear(6, 6), nn.BatchNorm1d(6)), (2, 6, 6)),  # BN1d channel axis is 1, not Linear's last
    (nn.Sequential(StdConv2d(4, 4, 3, padding=1), nn.BatchNorm2d(4)), (2, 4, 6, 6)),  # forward rescales weight
])
def test_unsafe_pairs_are_left_alone(model: nn.Module, shape: tuple[int, ...]) -> None:
    torch.manual_seed(SEED)
    n_bn = count_batchnorms(model)
    _check(model, torch.randn(*shape), expect_left=n_bn)
