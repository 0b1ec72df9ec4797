"""Inference-time BatchNorm folding for timm (and plain PyTorch) image classifiers.

Promise: ``fuse_batchnorm(model)`` puts ``model`` in eval mode, applies timm's own re-parameterisation, then
folds every remaining BatchNorm whose effect can be moved exactly into an adjacent layer:

* ``Conv1d/2d/3d`` or ``Linear`` -> BatchNorm (incl. timm ``BatchNormAct2d``/``FrozenBatchNormAct2d``):
  the BN is folded into the conv/linear weights and bias; the BN module becomes ``nn.Identity`` or, for the
  norm+act variants, a module that still applies their ``drop`` and ``act``.
* BatchNorm1d -> ``Linear`` on ``(N, C)`` input (LeViT-style ``NormLinear`` heads): folded into the linear.

Outputs change only by float rounding. BatchNorms that cannot be folded safely are left untouched.
"""
from collections import Counter
from typing import Any

import torch
from timm.layers import BatchNormAct2d, FrozenBatchNormAct2d, SyncBatchNormAct
from timm.utils import reparameterize_model
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_leaves
from torchvision.ops.misc import FrozenBatchNorm2d

__all__ = ["fuse_batchnorm", "is_batchnorm", "randomize_batchnorms"]

# Only modules whose forward is known to compute exactly `(x - mean) / sqrt(var + eps) * w + b` (then drop/act).
_BN_FORWARDS = {c.forward for c in (nn.BatchNorm1d, nn.SyncBatchNorm, BatchNormAct2d, SyncBatchNormAct,
                                    FrozenBatchNorm2d, FrozenBatchNormAct2d)}
# Exact forwards only: subclasses such as timm's StdConv2d re-normalise their weight, which would undo the fold.
_LAYER_FORWARDS = {c.forward for c in (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)}
# Reading these tensor attributes/methods does not consume the tensor's values.
_METADATA = {"shape", "ndim", "dim", "size", "dtype", "device", "layout", "numel", "is_floating_point",
             "requires_grad", "is_contiguous", "stride", "__len__"}


def is_batchnorm(m: nn.Module) -> bool:
    return isinstance(m, nn.modules.batchnorm._BatchNorm) or "BatchNorm" in type(m).__name__


@torch.no_grad()
def randomize_batchnorms(model: nn.Module, seed: int = 0) -> nn.Module:
    """Give every BatchNorm non-trivial statistics and affine parameters (fresh ones are mean 0, var 1, w 1, b 0,
    which makes a forgotten scale or shift invisible to any numerical check)."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if not is_batchnorm(m):
            continue
        n = m.running_mean.numel()
        m.running_mean.copy_(torch.randn(n, generator=g) * 0.5)
        m.running_var.copy_(torch.rand(n, generator=g) * 1.5 + 0.5)  # strictly positive: [0.5, 2.0)
        if m.weight is not None:
            m.weight.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.copy_(torch.randn(n, generator=g) * 0.5)
    return model


class _DropAct(nn.Module):
    """What is left of a norm+act layer once its normalisation is folded away."""

    def __init__(self, drop: nn.Module, act: nn.Module) -> None:
        super().__init__()
        self.drop, self.act = drop, act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.drop(x))


class _Recorder(TorchFunctionMode):
    """Counts how many torch calls read each watched tensor (nested calls are not re-dispatched).
    Watched tensors are kept alive by the caller, so their ids cannot be recycled mid-pass."""

    def __init__(self, watched: dict[int, torch.Tensor]) -> None:
        super().__init__()
        self.watched, self.uses = watched, Counter()

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        name = getattr(getattr(func, "__self__", None), "__name__", name) if name == "__get__" else name
        if name not in _METADATA:
            self.uses.update(id(t) for t in tree_leaves((args, kwargs)) if id(t) in self.watched)
        return func(*args, **kwargs)


def _bn_scale_shift(bn: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel (scale, shift), in float64, such that bn(x) == x * scale + shift."""
    var, mean = bn.running_var.double(), bn.running_mean.double()
    w = bn.weight.double() if bn.weight is not None else torch.ones_like(var)
    b = bn.bias.double() if bn.bias is not None else torch.zeros_like(var)
    scale = w / torch.sqrt(var + bn.eps)
    return scale, b - mean * scale


@torch.no_grad()
def _fold_after(layer: nn.Module, bn: nn.Module) -> None:
    """layer -> bn  becomes  layer' with W' = W * s (per output channel), b' = b * s + t."""
    s, t = _bn_scale_shift(bn)
    w = layer.weight
    bias = layer.bias.double() if layer.bias is not None else torch.zeros_like(s)
    w.copy_(w.double() * s.view(-1, *[1] * (w.dim() - 1)))
    if layer.bias is None:
        layer.bias = nn.Parameter(w.new_empty(w.shape[0]))
    layer.bias.copy_(bias * s + t)


@torch.no_grad()
def _fold_before(bn: nn.Module, linear: nn.Linear) -> None:
    """bn -> linear  becomes  linear' with W' = W * s (per input feature), b' = b + W @ t."""
    s, t = _bn_scale_shift(bn)
    w = linear.weight.double()
    bias = linear.bias.double() if linear.bias is not None else w.new_zeros(w.shape[0])
    if linear.bias is None:
        linear.bias = nn.Parameter(linear.weight.new_empty(w.shape[0]))
    linear.bias.copy_(bias + w @ t)
    linear.weight.copy_(w * s)


def _replace(model: nn.Module, old: nn.Module, new: nn.Module) -> None:
    for parent in list(model.modules()):
        for name in [n for n, c in parent.named_children() if c is old]:
            setattr(parent, name, new)


def fuse_batchnorm(model: nn.Module, *, example_input: torch.Tensor | None = None) -> nn.Module:
    """Return the eval-mode model with every inference-time BatchNorm folded into the layer before it
    (or, for BatchNorm1d -> Linear heads, the layer after it). Works in place on `model` and returns it.

    Pairs are found from one forward pass on `example_input` (default: random, `pretrained_cfg` input size)."""
    model.eval()
    ref = next(model.parameters())
    one_dtype = len({p.dtype for p in model.parameters() if p.is_floating_point()}) == 1
    # timm's own fuse()/reparameterize() covers LeViT, RepVGG, MobileOne...; its new layers land on CPU/fp32.
    reparameterize_model(model, inplace=True)
    model.to(device=ref.device, dtype=ref.dtype if one_dtype else None)
    size = tuple((getattr(model, "pretrained_cfg", None) or {}).get("input_size", (3, 224, 224)))
    x = example_input if example_input is not None else torch.randn(1, *size, device=ref.device, dtype=ref.dtype)

    # Hooks record each BN/conv/linear call (input, output); tensors are kept alive so their ids stay unique.
    calls: list[tuple[nn.Module, torch.Tensor, Any]] = []
    watched: dict[int, torch.Tensor] = {}
    escaped: set[int] = set()

    def record(mod: nn.Module, inp: tuple, out: Any) -> None:
        if type(mod).forward in _BN_FORWARDS or type(mod).forward in _LAYER_FORWARDS:
            if inp and isinstance(out, torch.Tensor):
                calls.append((mod, inp[0], out))
                watched[id(out)] = out
        elif not isinstance(out, torch.Tensor):  # returned in a tuple/dict: used by code the recorder can't see
            escaped.update(id(t) for t in tree_leaves(out) if id(t) in watched)

    hooks = [m.register_forward_hook(record) for m in model.modules()]
    try:
        with torch.no_grad(), _Recorder(watched) as rec:
            escaped.update(id(t) for t in tree_leaves(model(x)) if id(t) in watched)
    finally:
        for h in hooks:
            h.remove()

    n_calls = Counter(id(m) for m, _, _ in calls)
    produced: dict[int, nn.Module] = {id(o): m for m, _, o in calls if type(m).forward in _LAYER_FORWARDS}
    consumed: dict[int, nn.Module] = {id(i): m for m, i, _ in calls if type(m).forward is nn.Linear.forward}
    # A fold is exact only if each module runs once and the shared tensor feeds nothing but the pair.
    once = lambda m: n_calls[id(m)] == 1  # noqa: E731
    sole = lambda t: rec.uses[id(t)] == 1 and id(t) not in escaped  # noqa: E731
    for bn, inp, out in calls:
        if type(bn).forward not in _BN_FORWARDS or not once(bn) or getattr(bn, "running_var", None) is None:
            continue
        layer, nxt = produced.get(id(inp)), consumed.get(id(out))
        if (layer is not None and once(layer) and sole(inp) and layer.weight.shape[0] == bn.running_var.numel()
                and (inp.dim() == 2 or not isinstance(layer, nn.Linear))):
            _fold_after(layer, bn)
        elif (nxt is not None and once(nxt) and sole(out) and out.dim() == 2 and not hasattr(bn, "act")
              and nxt.in_features == bn.running_var.numel()):
            _fold_before(bn, nxt)
        else:
            continue
        has_act = hasattr(bn, "act")
        _replace(model, bn, _DropAct(getattr(bn, "drop", nn.Identity()), bn.act) if has_act else nn.Identity())
    return model
