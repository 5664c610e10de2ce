"""Tessera names and layouts of a module's tensors. Tessera (TF.js) stores linear weights
``[in, out]``, conv weights ``[kh, kw, in, out]`` (HWIO), norm scales as ``gamma``/``beta`` and
BatchNorm statistics as ``movingMean``/``movingVar``; PyTorch stores ``[out, in]``, OIHW,
``weight``/``bias``, ``running_mean``/``running_var``. Module paths are tessera's (the net
rules name their submodules so), except wrapper levels named ``inner``."""
from torch import nn

from .layers import GlobalBatchNorm, InstanceNorm

_NORM_NAMES = {"weight": "gamma", "bias": "beta", "running_mean": "movingMean", "running_var": "movingVar"}


def _join(*parts):
    return ".".join(p for p in parts if p)


def _tessera_prefix(torch_prefix):
    return ".".join(p for p in torch_prefix.split(".") if p and p != "inner")


def names(module):
    """``[(torch_key, tessera_path, kind)]`` for every parameter and persistent buffer of
    ``module``; ``kind`` is ``linear``, ``conv`` or ``plain`` (how the layout differs)."""
    out = []
    for prefix, m in module.named_modules():
        tp = _tessera_prefix(prefix)
        local = list(m.named_parameters(recurse=False)) + [
            (k, b) for k, b in m.named_buffers(recurse=False) if k not in m._non_persistent_buffers_set]
        for key, _ in local:
            if isinstance(m, (nn.LayerNorm, GlobalBatchNorm, InstanceNorm)):
                out.append((_join(prefix, key), _join(tp, _NORM_NAMES[key]), "plain"))
            elif isinstance(m, nn.Linear) and key == "weight":
                out.append((_join(prefix, key), _join(tp, key), "linear"))
            elif isinstance(m, nn.Conv2d) and key == "weight":
                out.append((_join(prefix, key), _join(tp, key), "conv"))
            else:
                out.append((_join(prefix, key), _join(tp, key), "plain"))
    return out


def to_tessera(t, kind):
    """A torch tensor in tessera's layout."""
    if kind == "linear":
        return t.t()
    if kind == "conv":
        return t.permute(2, 3, 1, 0)
    return t


def from_tessera(t, kind):
    """A tessera-layout tensor in torch's layout."""
    if kind == "linear":
        return t.t()
    if kind == "conv":
        return t.permute(3, 2, 0, 1)
    return t
