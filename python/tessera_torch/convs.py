"""Convolutions as ``compiler/lower/nets/conv.ts`` lowers them: ``Conv`` (an ``nn.Conv2d`` with
TF's ``same``/``valid`` or a symmetric padding, dilation, He-normal init on fan-out ``k*k*out``,
optional spectral norm with its power-iteration vector as the persistent buffer ``u [out]``)
and the ``Conv2d`` net rule. Images are NCHW; tessera stores conv weights HWIO (``layouts.py``)."""
import math

import torch
from torch import nn
import torch.nn.functional as F

from .layers import init_weight


def _same_pads(size, k, stride, dilation):
    """TF ``same`` padding of one axis: ``(before, after)``, the extra pixel after."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def _unit(v):
    return v / (v.norm() + 1e-12)


class Conv(nn.Conv2d):
    """A conv in tessera's geometry. With ``spectral_norm`` the weight is divided by
    ``sigma = v . (M u')`` (``M`` the weight as ``[k*k*in, out]``, ``v = unit(M u)``,
    ``u' = unit(M^T v)``, one power iteration per call, ``u'`` and ``v`` without gradient): every
    call of a step reads the same ``u``; ``u'`` is kept in ``pending_u`` and written by
    ``commit()`` after the optimizer step, as TF.js assigns its buffers."""

    def __init__(self, in_ch, out_ch, k, stride=1, padding=0, dilation=1, bias=True, spectral_norm=False):
        super().__init__(in_ch, out_ch, k, stride=stride, padding=0, dilation=dilation, bias=bias)
        self.pad_mode = padding
        init_weight(self.weight, "kaimingNormal", k * k * in_ch, k * k * out_ch)
        if bias:
            nn.init.zeros_(self.bias)
        self.spectral_norm = spectral_norm
        self.pending_u = None
        if spectral_norm:
            self.register_buffer("u", torch.randn(out_ch))

    def _pad(self, x):
        p, k, s, d = self.pad_mode, self.kernel_size[0], self.stride[0], self.dilation[0]
        if p == "valid" or p == 0:
            return x
        if p == "same":
            top, bottom = _same_pads(x.shape[2], k, s, d)
            left, right = _same_pads(x.shape[3], k, s, d)
            return F.pad(x, (left, right, top, bottom))
        return F.pad(x, (p, p, p, p))

    def _normalised_weight(self):
        w = self.weight  # [out, in, kh, kw]
        m = w.permute(2, 3, 1, 0).reshape(-1, w.shape[0])  # tessera's [k*k*in, out]
        with torch.no_grad():
            v = _unit(m @ self.u.view(-1, 1))
            u2 = _unit((v.t() @ m).view(-1, 1))
        if self.training:
            self.pending_u = u2.view(-1)
        return w / (v * (m @ u2)).sum()

    def commit(self):
        """Writes the power-iteration vector of the last training call into ``u``."""
        if self.pending_u is not None:
            with torch.no_grad():
                self.u.copy_(self.pending_u)
            self.pending_u = None

    def forward(self, x):
        w = self._normalised_weight() if self.spectral_norm else self.weight
        return F.conv2d(self._pad(x), w, self.bias, self.stride, 0, self.dilation)


def commit_buffers(module):
    """``Conv.commit()`` for every spectral-norm conv of ``module``."""
    for m in module.modules():
        if isinstance(m, Conv):
            m.commit()


class Conv2d(nn.Module):
    """The ``Conv2d`` net: ``x [B, in, H, W] -> [B, out, Ho, Wo]``."""

    def __init__(self, n):
        super().__init__()
        self.inner = Conv(n["inChannels"], n["outChannels"], n["kernel"], n["stride"], n["padding"],
                          n["dilation"], n["bias"], n["spectralNorm"])

    def forward(self, x):
        return self.inner(x)
