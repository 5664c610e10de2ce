"""Building blocks shared by the net rules: initialisers (``compiler/lower/nets/init.ts``), the
global-batch BatchNorm, attention and the pre-norm transformer block. Images are NCHW here;
tessera's layouts (NHWC, ``[in, out]`` weights) only appear at the checkpoint boundary
(``checkpoint.py``)."""
import math

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from . import distributed as D


def init_weight(w, scheme, fan_in, fan_out):
    """Initialises ``w`` in place by a tessera ``InitScheme`` for a ``[fan_in, fan_out]`` weight."""
    with torch.no_grad():
        if scheme == "xavierUniform":
            b = math.sqrt(6 / (fan_in + fan_out))
            w.uniform_(-b, b)
        elif scheme == "truncNormal02":
            nn.init.trunc_normal_(w, std=0.02, a=-0.04, b=0.04)
        elif scheme == "kaimingNormal":
            w.normal_(0, math.sqrt(2 / fan_out))
        elif scheme == "normal001":
            w.normal_(0, 0.01)
        elif scheme == "default":
            b = 1 / math.sqrt(fan_in)
            w.uniform_(-b, b)
        else:
            raise ValueError(f"unknown init scheme {scheme!r}")


def linear(n_in, n_out, bias, scheme):
    """``nn.Linear`` initialised by a tessera scheme (bias zero, as every tessera bias)."""
    m = nn.Linear(n_in, n_out, bias=bias)
    init_weight(m.weight, scheme, n_in, n_out)
    if bias:
        nn.init.zeros_(m.bias)
    return m


def activation(fn, x, alpha=0.2):
    """An element-wise activation by tessera name."""
    if fn == "relu":
        return F.relu(x)
    if fn == "gelu":
        return F.gelu(x)
    if fn == "silu":
        return F.silu(x)
    if fn == "leakyRelu":
        return F.leaky_relu(x, alpha)
    if fn == "tanh":
        return torch.tanh(x)
    if fn == "sigmoid":
        return torch.sigmoid(x)
    if fn == "softplus":
        return F.softplus(x)
    if fn == "identity":
        return x
    raise ValueError(f"unknown activation {fn!r}")


class GlobalBatchNorm(nn.Module):
    """BatchNorm over the *global* batch (SyncBatchNorm semantics, also on CPU/gloo, where
    ``nn.SyncBatchNorm`` refuses to run). Statistics are per view group (``groups`` views
    concatenated along the batch by tessera's view batching behave as separate calls), over every
    axis but the channel axis 1; running statistics use PyTorch's momentum 0.1 and unbiased
    variance, updated once per group in order. Eval mode uses the running statistics."""

    def __init__(self, features, affine=True, eps=1e-5, momentum=0.1):
        super().__init__()
        self.eps, self.momentum, self.groups = eps, momentum, 1
        self.weight = nn.Parameter(torch.ones(features)) if affine else None
        self.bias = nn.Parameter(torch.zeros(features)) if affine else None
        self.register_buffer("running_mean", torch.zeros(features))
        self.register_buffer("running_var", torch.ones(features))

    def _shape(self, x):
        return [1, -1] + [1] * (x.dim() - 2)

    def forward(self, x):
        if x.dim() == 3:  # tokens [B, N, D]: the features are the last axis, as in tessera
            return self._channels_first(x.transpose(1, 2)).transpose(1, 2)
        return self._channels_first(x)

    def _channels_first(self, x):
        shape = self._shape(x)
        if not self.training:
            y = (x - self.running_mean.view(shape)) / torch.sqrt(self.running_var.view(shape) + self.eps)
        else:
            g = self.groups
            parts = x.chunk(g, 0)
            outs = [self._train_group(p, shape) for p in parts]
            y = torch.cat(outs, 0) if g > 1 else outs[0]
        if self.weight is not None:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y

    def _train_group(self, x, shape):
        dims = [0] + list(range(2, x.dim()))
        n_local = x.numel() // x.shape[1]
        n = float(n_local * D.world())  # every process holds an equal shard
        mean = D.all_sum(x.sum(dims)) / n
        centred = x - mean.view(shape)
        var = D.all_sum((centred * centred).sum(dims)) / n
        with torch.no_grad():
            unbiased = var.detach() * (n / max(n - 1, 1))
            self.running_mean.mul_(1 - self.momentum).add_(mean.detach() * self.momentum)
            self.running_var.mul_(1 - self.momentum).add_(unbiased * self.momentum)
        return centred / torch.sqrt(var.view(shape) + self.eps)


class InstanceNorm(nn.Module):
    """Per sample and channel over the spatial axes (NCHW), optional affine ``weight``/``bias``."""

    def __init__(self, features, affine=True, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(features)) if affine else None
        self.bias = nn.Parameter(torch.zeros(features)) if affine else None

    def forward(self, x):
        var, mean = torch.var_mean(x, dim=(2, 3), keepdim=True, unbiased=False)
        y = (x - mean) / torch.sqrt(var + self.eps)
        if self.weight is not None:
            y = y * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)
        return y


def norm(kind, features, affine, eps):
    """A tessera ``Norm`` as a module (``batch`` is the global-batch BatchNorm)."""
    if kind == "batch":
        return GlobalBatchNorm(features, affine, eps)
    if kind == "layer":
        return nn.LayerNorm(features, eps=eps, elementwise_affine=affine)
    if kind == "instance":
        return InstanceNorm(features, affine, eps)
    raise ValueError(f"unknown norm kind {kind!r}")


class Attention(nn.Module):
    """Multi-head self-attention ``[B, N, dim] -> [B, N, dim]``; ``qkv`` and ``proj`` linears."""

    def __init__(self, dim, heads, qkv_bias, scheme):
        super().__init__()
        self.heads = heads
        self.qkv = linear(dim, 3 * dim, qkv_bias, scheme)
        if scheme == "xavierUniform":  # MoCo v3: q, k, v each Xavier on [dim, dim]
            init_weight(self.qkv.weight, scheme, dim, dim)
        self.proj = linear(dim, dim, True, scheme)

    def forward(self, x):
        b, n, d = x.shape
        h = self.heads
        q, k, v = self.qkv(x).reshape(b, n, 3, h, d // h).permute(2, 0, 3, 1, 4)
        attn = torch.softmax((q * (d // h) ** -0.5) @ k.transpose(-2, -1), dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, d))


class Mlp2(nn.Module):
    """``fc2(GELU(fc1(x)))``."""

    def __init__(self, dim, hidden, scheme):
        super().__init__()
        self.fc1 = linear(dim, hidden, True, scheme)
        self.fc2 = linear(hidden, dim, True, scheme)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    """Pre-norm transformer block: ``x + attn(LN(x))``, then ``x + mlp(LN(x))``."""

    def __init__(self, dim, heads, mlp_ratio, qkv_bias, eps, scheme):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, heads, qkv_bias, scheme)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp2(dim, int(math.floor(dim * mlp_ratio)), scheme)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def sincos2d(gh, gw, dim, row_first):
    """Fixed 2-D sin-cos positions ``[gh*gw, dim]`` (``transformer.ts`` ``sincos2d``)."""
    q = dim // 4
    r, c = np.meshgrid(np.arange(gh, dtype=np.float64), np.arange(gw, dtype=np.float64), indexing="ij")
    a, b = (r, c) if row_first else (c, r)
    omega = 1.0 / np.power(10000.0, np.arange(q) / q)
    a = a.reshape(-1, 1) * omega
    b = b.reshape(-1, 1) * omega
    table = np.zeros((gh * gw, dim))
    table[:, :4 * q] = np.concatenate([np.sin(a), np.cos(a), np.sin(b), np.cos(b)], 1)
    return torch.from_numpy(table.astype(np.float32))


def gather_tokens(tokens, index):
    """``tokens [B, N, D]`` at ``index [B, K]`` -> ``[B, K, D]``, or ``index [T, B, K]`` -> ``[T*B, K, D]``."""
    if index.dim() == 3:
        t = index.shape[0]
        tokens = tokens.repeat(t, 1, 1)
        index = index.reshape(-1, index.shape[-1])
    idx = index.long().unsqueeze(-1).expand(-1, -1, tokens.shape[-1])
    return torch.gather(tokens, 1, idx)
