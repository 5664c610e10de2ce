"""Net rules: one ``nn.Module`` builder per tessera ``NetNode`` tag (``compiler/ir/net.ts``), with
parameter paths equal to tessera's (``compiler/lower/nets``) up to the leaf names and layouts
that ``checkpoint.py`` maps (``weight`` [out, in] vs [in, out], ``gamma``/``beta``, NCHW).

A net's ``forward`` takes its primary port ``x`` and the other ports as keyword arguments.
Values are tensors or dicts of them (structs)."""
import math

import torch
from torch import nn
import torch.nn.functional as F

from . import generator as G
from .convs import Conv2d
from .heads import FusionHead, TokenPredictor
from .layers import Attention, Block, GlobalBatchNorm, activation, gather_tokens, init_weight, linear, norm, sincos2d


class Linear(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.inner = linear(n["in"], n["out"], n["bias"], n["init"])

    def forward(self, x):
        return self.inner(x)


class MlpLayer(nn.Module):
    def __init__(self, n_in, n_out, bias, norm_spec):
        super().__init__()
        self.linear = linear(n_in, n_out, bias, "default")
        if norm_spec is not None:
            self.norm = norm(norm_spec[0], n_out, norm_spec[1], 1e-5)


class Mlp(nn.Module):
    """MoCo v3 ``_build_mlp``: ``(layers-1) x [Linear, norm, act]``, Linear, optional last BN."""

    def __init__(self, n):
        super().__init__()
        self.act = n["activation"]
        layers = []
        for i in range(n["layers"]):
            a = n["in"] if i == 0 else n["hidden"]
            b = n["out"] if i == n["layers"] - 1 else n["hidden"]
            if i < n["layers"] - 1:
                spec = None if n["norm"] == "none" else (n["norm"], True)
            else:
                spec = None if n["lastNorm"] == "none" else ("batch", n["lastNorm"] == "batch")
            layers.append(MlpLayer(a, b, n["bias"], spec))
        self.layers = nn.ModuleList(layers)

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer.linear(x)
            if hasattr(layer, "norm"):
                x = layer.norm(x)
            if i < len(self.layers) - 1:
                x = activation(self.act, x)
        return x


class Norm(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.inner = norm(n["kind"], n["features"], n["affine"], n["eps"])

    def forward(self, x):
        return self.inner(x)


class Activation(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.fn, self.alpha = n["fn"], n["alpha"]

    def forward(self, x):
        return activation(self.fn, x, self.alpha)


def patch_conv(in_ch, patch, dim, scheme):
    """The patch projection: a ``patch x patch`` stride-``patch`` conv (Xavier on ``[p*p*in, dim]``
    for MoCo v3, trunc-normal 0.02 for I-JEPA)."""
    conv = nn.Conv2d(in_ch, dim, patch, stride=patch)
    init_weight(conv.weight, scheme, patch * patch * in_ch, dim)
    nn.init.zeros_(conv.bias)
    return conv


def to_tokens(y):
    """``[B, D, h, w] -> [B, h*w, D]`` (row-major patches)."""
    return y.flatten(2).transpose(1, 2)


class PatchEmbed(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.inner = patch_conv(n["inChannels"], n["patch"], n["dim"], "xavierUniform")

    def forward(self, x):
        return to_tokens(self.inner(x))


class AttentionNet(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.inner = Attention(n["dim"], n["heads"], n["qkvBias"], "xavierUniform")

    def forward(self, x):
        return self.inner(x)


class TransformerBlock(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.inner = Block(n["dim"], n["heads"], n["mlpRatio"], n["qkvBias"], n["eps"], "xavierUniform")

    def forward(self, x):
        return self.inner(x)


class Vit(nn.Module):
    """ViT: patches + fixed sin-cos positions, optional ``keep`` gather, optional [CLS], blocks,
    final LayerNorm. MoCo v3 flavour (with [CLS]): Xavier linears, cls N(0, 1e-6), positions
    row-first; I-JEPA flavour: trunc-normal 0.02 everywhere. ``stopGradPatchEmbed`` freezes the
    patch projection (``requires_grad = False``: no gradient, no weight decay)."""

    def __init__(self, n):
        super().__init__()
        self.n = n
        scheme = "xavierUniform" if n["cls"] else "truncNormal02"
        self.patchEmbed = patch_conv(n["inChannels"], n["patch"], n["dim"], scheme)
        if n["stopGradPatchEmbed"]:
            self.patchEmbed.requires_grad_(False)
        if n["cls"]:
            self.cls = nn.Parameter(torch.randn(1, 1, n["dim"]) * 1e-6)
        self.blocks = nn.ModuleList(
            Block(n["dim"], n["heads"], n["mlpRatio"], n["qkvBias"], n["eps"], scheme) for _ in range(n["depth"]))
        self.norm = nn.LayerNorm(n["dim"], eps=n["eps"])
        g = n["imageSize"] // n["patch"]
        self.register_buffer("pos", sincos2d(g, g, n["dim"], n["cls"]).unsqueeze(0), persistent=False)

    def forward(self, x, keep=None):
        n = self.n
        t = to_tokens(self.patchEmbed(x)) + self.pos
        if keep is not None:
            t = gather_tokens(t, keep)
        if n["cls"]:
            t = torch.cat([self.cls.expand(t.shape[0], -1, -1), t], 1)
        for blk in self.blocks:
            t = blk(t)
        t = self.norm(t)
        patches = t[:, 1:] if n["cls"] else t
        if n["output"] == "cls":
            return t[:, 0]
        return patches.mean(1) if n["output"] == "mean" else patches


class Sequential(nn.Module):
    """Layers in order, named ``0``, ``1``, ... (structs pass through as ``x``)."""

    def __init__(self, n):
        super().__init__()
        for i, layer in enumerate(n["layers"]):
            self.add_module(str(i), build_net(layer))

    def forward(self, x, **ports):
        for i, layer in enumerate(self.children()):
            x = layer(x, **ports) if i == 0 else layer(x)
        return x


class Pool(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.kind = n["kind"]

    def forward(self, x):
        if self.kind == "cls":
            return x[:, 0]
        dims = (2, 3) if x.dim() == 4 else (1,)
        return x.mean(dims) if self.kind == "mean" else x.amax(dims)


class Field(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.name = n["name"]

    def forward(self, x):
        if not isinstance(x, dict) or self.name not in x:
            have = ", ".join(x) if isinstance(x, dict) else "a tensor"
            raise ValueError(f"Field {self.name!r} not found (input has {have})")
        return x[self.name]


class L2Normalize(nn.Module):
    def __init__(self, n):
        super().__init__()

    def forward(self, x):
        return F.normalize(x, dim=-1, eps=1e-12)


class Flatten(nn.Module):
    """``[B, ...] -> [B, prod]`` in tessera's order (images flattened as NHWC)."""

    def __init__(self, n):
        super().__init__()

    def forward(self, x):
        if x.dim() == 4:
            x = x.permute(0, 2, 3, 1)
        return x.reshape(x.shape[0], -1)


class TransformerPredictor(nn.Module):
    """I-JEPA predictor: embed context tokens, add positions, one copy per target block, append
    mask tokens at target positions, blocks, LayerNorm, project the mask-token outputs back.
    ``x [B, Kc, inDim]``, ``context [B, Kc]``, ``targets [T, B, Kt]`` -> ``[T*B, Kt, inDim]``."""

    def __init__(self, n):
        super().__init__()
        self.n = n
        dim = n["dim"]
        self.embed = linear(n["inDim"], dim, True, "truncNormal02")
        self.maskToken = nn.Parameter(torch.zeros(1, 1, dim))
        nn.init.trunc_normal_(self.maskToken, std=0.02, a=-0.04, b=0.04)
        self.blocks = nn.ModuleList(Block(dim, n["heads"], n["mlpRatio"], True, 1e-6, "truncNormal02") for _ in range(n["depth"]))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.proj = linear(dim, n["inDim"], True, "truncNormal02")
        gh, gw = n["grid"]
        self.register_buffer("pos", sincos2d(gh, gw, dim, False), persistent=False)

    def forward(self, x, context, targets):
        t, _, kt = targets.shape
        z = self.embed(x) + self.pos[context.long()]
        h = torch.cat([z.repeat(t, 1, 1), self.pos[targets.long()].reshape(-1, kt, self.n["dim"]) + self.maskToken], 1)
        for blk in self.blocks:
            h = blk(h)
        return self.proj(self.norm(h)[:, -kt:])


def conv_bn(in_ch, out_ch, k, stride, padding, zero_gamma=False):
    """A bias-free conv (He normal, fan-out ``k*k*out``) and its BatchNorm (eps 1e-5), as
    ``compiler/lower/nets/resnet.ts`` names them (``conv``/``bn`` set by the caller)."""
    conv = nn.Conv2d(in_ch, out_ch, k, stride=stride, padding=padding, bias=False)
    init_weight(conv.weight, "kaimingNormal", k * k * in_ch, k * k * out_ch)
    bn = GlobalBatchNorm(out_ch, True, 1e-5)
    if zero_gamma:
        nn.init.zeros_(bn.weight)
    return conv, bn


class ConvBn(nn.Module):
    """``conv`` then ``bn`` (the stem and the downsample branch)."""

    def __init__(self, in_ch, out_ch, k, stride, padding):
        super().__init__()
        self.conv, self.bn = conv_bn(in_ch, out_ch, k, stride, padding)

    def forward(self, x):
        return self.bn(self.conv(x))


def resnet_blocks(n):
    """``compiler/ir/resnet.ts`` ``resnetBlocks``: ``(stage, block, in, c, stride)`` in order."""
    expansion = 4 if n["block"] == "bottleneck" else 1
    in_ch, out = n["stem"]["channels"], []
    for s, st in enumerate(n["stages"]):
        for b in range(st["blocks"]):
            out.append((s, b, in_ch, st["channels"], st["stride"] if b == 0 else 1))
            in_ch = st["channels"] * expansion
    return out


class ResNetBlock(nn.Module):
    """A residual block: ``conv<i>``/``bn<i>`` (bottleneck 1x1, 3x3 strided, 1x1 x4; basic 3x3
    strided, 3x3), ReLU between, the last BN's gamma zero under ``zeroInitResidual``; a
    ``downsample`` (1x1 conv + BN) when the block strides or changes the width; ReLU after the sum."""

    def __init__(self, n, in_ch, c, stride):
        super().__init__()
        if n["block"] == "bottleneck":
            convs = [("1", 1, 1, in_ch, c), ("2", 3, stride, c, c), ("3", 1, 1, c, 4 * c)]
        else:
            convs = [("1", 3, stride, in_ch, c), ("2", 3, 1, c, c)]
        self.ids = [cid for cid, *_ in convs]
        for i, (cid, k, s, a, b) in enumerate(convs):
            conv, bn = conv_bn(a, b, k, s, k // 2, n["zeroInitResidual"] and i == len(convs) - 1)
            self.add_module(f"conv{cid}", conv)
            self.add_module(f"bn{cid}", bn)
        out = c * (4 if n["block"] == "bottleneck" else 1)
        if stride != 1 or in_ch != out:
            self.downsample = ConvBn(in_ch, out, 1, stride, 0)

    def forward(self, x):
        h = x
        for i, cid in enumerate(self.ids):
            h = getattr(self, f"bn{cid}")(getattr(self, f"conv{cid}")(h))
            if i < len(self.ids) - 1:
                h = F.relu(h)
        short = self.downsample(x) if hasattr(self, "downsample") else x
        return F.relu(h + short)


class ResNet(nn.Module):
    """ResNet (``compiler/lower/nets/resnet.ts``): stem conv (k, stride, padding k//2) -> BN -> ReLU
    [-> max-pool 3x3 s2 p1], stages of blocks named ``stages.<s>.<b>``; ``pooled`` averages over
    the spatial axes (``[B, C]``), ``map`` returns the NCHW map."""

    def __init__(self, n):
        super().__init__()
        self.n = n
        st = n["stem"]
        self.stem = ConvBn(n["inChannels"], st["channels"], st["kernel"], st["stride"], st["kernel"] // 2)
        stages = [[] for _ in n["stages"]]
        for s, _, in_ch, c, stride in resnet_blocks(n):
            stages[s].append(ResNetBlock(n, in_ch, c, stride))
        self.stages = nn.ModuleList(nn.ModuleList(blocks) for blocks in stages)

    def forward(self, x):
        x = F.relu(self.stem(x))
        if self.n["stem"]["maxPool"]:
            x = F.max_pool2d(x, 3, 2, 1)
        for stage in self.stages:
            for block in stage:
                x = block(x)
        return x.mean((2, 3)) if self.n["output"] == "pooled" else x


# Net kinds without a torch rule yet.
NET_MISSING = ()

NET_RULES = {
    "Linear": Linear, "Mlp": Mlp, "Norm": Norm, "Activation": Activation, "PatchEmbed": PatchEmbed,
    "Attention": AttentionNet, "TransformerBlock": TransformerBlock, "Vit": Vit, "Sequential": Sequential,
    "Pool": Pool, "Field": Field, "L2Normalize": L2Normalize, "Flatten": Flatten,
    "TransformerPredictor": TransformerPredictor, "ResNet": ResNet, "Conv2d": Conv2d,
    "UNetEncoder": G.UNetEncoder, "StylePyramidEncoder": G.StylePyramidEncoder, "SpadeResBlock": G.SpadeResBlock,
    "UNetDecoder": G.UNetDecoder, "Generator": G.Generator, "PatchGan": G.PatchGan,
    "TokenPredictor": TokenPredictor, "FusionHead": FusionHead,
}


def build_net(n):
    """The module of a net node (IR JSON). Raises a clear error for kinds without a torch rule."""
    tag = n["_tag"]
    rule = NET_RULES.get(tag)
    if rule is None:
        hint = "it is listed in NET_MISSING (not implemented for the torch target yet)" if tag in NET_MISSING else "unknown net kind"
        raise NotImplementedError(f"torch target: no rule for net {tag!r}: {hint}; train this spec with `tessera train` (TF.js)")
    return rule(n)


def sub_net(module, path):
    """The part of a module at ``path`` (a Sequential's index)."""
    for p in path:
        module = getattr(module, p)
    return module


def batch_norms(module):
    """Every global-batch BatchNorm in a module (to set their view ``groups``)."""
    return [m for m in module.modules() if isinstance(m, GlobalBatchNorm)]
