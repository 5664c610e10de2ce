"""ST-STORM's image nets as ``compiler/lower/nets/unet.ts``, ``spade.ts`` and ``gan.ts`` lower
them (methods.md 3.2): the U-Net content encoder, the pyramid style encoder, the SPADE residual
block with softplus gates, the SPADE decoder, the generator that wires them, and the PatchGAN
discriminator. Submodule paths are tessera's (``compiler/ir/params/convnets.ts``); every size
comes from the IR node. Images are NCHW; struct values are dicts (``skip1 .. skipL``,
``bottleneck``; ``tokens``, ``map1 .. mapL``)."""
import math

import torch
from torch import nn
import torch.nn.functional as F

from .convs import Conv
from .layers import InstanceNorm, linear

IN_EPS = 1e-5
GATE_INIT = math.log(math.e - 1)  # softplus(GATE_INIT) = 1


def level_channels(n, level):
    """``min(ngf * 2^l, maxChannels)`` (level ``levels`` is the bottleneck)."""
    return min(n["ngf"] * 2 ** level, n["maxChannels"])


def conv3(in_ch, out_ch, bias=True):
    return Conv(in_ch, out_ch, 3, 1, 1, bias=bias)


class Down(nn.Module):
    """``conv`` 4x4 s2 p1 -> ``norm`` (InstanceNorm, affine) -> ReLU."""

    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.conv = Conv(in_ch, out_ch, 4, 2, 1)
        self.norm = InstanceNorm(out_ch, True, IN_EPS)

    def forward(self, x):
        return F.relu(self.norm(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.down = Down(in_ch, out_ch)
        self.conv = conv3(out_ch, out_ch)
        self.norm = InstanceNorm(out_ch, True, IN_EPS)

    def forward(self, x):
        return F.relu(self.norm(self.conv(self.down(x))))


class UNetEncoder(nn.Module):
    """``levels`` x Down, then the bottleneck; returns ``{skip1 .. skipL, bottleneck}``."""

    def __init__(self, n):
        super().__init__()
        self.levels = n["levels"]
        c = [level_channels(n, level) for level in range(n["levels"] + 1)]
        self.down = nn.ModuleList(Down(n["inChannels"] if level == 0 else c[level - 1], c[level])
                                  for level in range(n["levels"]))
        self.bottleneck = Bottleneck(n["inChannels"] if n["levels"] == 0 else c[-2], c[-1])

    def forward(self, x):
        out = {}
        for level, down in enumerate(self.down):
            x = down(x)
            out[f"skip{level + 1}"] = x
        out["bottleneck"] = self.bottleneck(x)
        return out


class StylePyramidEncoder(UNetEncoder):
    """The encoder's topology with its own weights, plus per level a map head (conv3x3 ->
    ``mapChannels``) and a token head (global average pool -> 1x1 conv -> ``tokenDim``), and a
    global token from the bottleneck. Returns ``{tokens [B, L+1, tokenDim] ([global, level L,
    .., level 1]), map1 .. mapL}``."""

    def __init__(self, n):
        super().__init__(n)
        self.mapHeads = nn.ModuleList(conv3(level_channels(n, level), n["mapChannels"]) for level in range(n["levels"]))
        self.tokenHeads = nn.ModuleList(Conv(level_channels(n, level), n["tokenDim"], 1) for level in range(n["levels"]))
        self.globalToken = Conv(level_channels(n, n["levels"]), n["tokenDim"], 1)

    def map_head(self, level, feature):
        """The style map of 1-based ``level`` from a feature map."""
        return self.mapHeads[level - 1](feature)

    @staticmethod
    def _token(head, feature):
        return head(feature.mean((2, 3), keepdim=True)).flatten(1)

    def forward(self, x):
        f = super().forward(x)
        tokens = [self._token(self.globalToken, f["bottleneck"])]
        tokens += [self._token(self.tokenHeads[level - 1], f[f"skip{level}"]) for level in range(self.levels, 0, -1)]
        out = {"tokens": torch.stack(tokens, 1)}
        for level in range(1, self.levels + 1):
            out[f"map{level}"] = self.map_head(level, f[f"skip{level}"])
        return out


class SpadeMap(nn.Module):
    """The map branch: ``conv1`` (3x3, ``mapChannels -> hidden``), ``conv2`` (3x3, ``hidden -> 2C``)."""

    def __init__(self, map_ch, hidden, c):
        super().__init__()
        self.conv1 = conv3(map_ch, hidden)
        self.conv2 = conv3(hidden, 2 * c)


class SpadeToken(nn.Module):
    """The token MLP: ``fc1`` (``tokenDim -> hidden``), ``fc2`` (``hidden -> 2C``)."""

    def __init__(self, token_dim, hidden, c):
        super().__init__()
        self.fc1 = linear(token_dim, hidden, True, "default")
        self.fc2 = linear(hidden, 2 * c, True, "default")


class Spade(nn.Module):
    """``x^ = IN(x)``; ``(gamma_s, beta_s) = conv2(SiLU(conv1(map))) / sqrt(max(C/64, 1))``;
    ``(gamma_g, beta_g) = fc2(SiLU(fc1(token)))``; ``x^ (1 + sp(a0) gamma_s + sp(a1) gamma_g) +
    sp(a2) beta_s + sp(a3) beta_g`` with ``gates = a [4]`` (sp = softplus). The map branch and the
    token MLP are ``hidden`` wide (``compiler/ir/params/convnets.ts`` ``spadeParams``)."""

    def __init__(self, c, map_ch, token_dim, hidden):
        super().__init__()
        self.c = c
        self.map = SpadeMap(map_ch, hidden, c)
        self.token = SpadeToken(token_dim, hidden, c)
        self.gates = nn.Parameter(torch.full((4,), GATE_INIT))
        self.norm = InstanceNorm(c, False, IN_EPS)

    def forward(self, x, style_map, token):
        spatial = self.map.conv2(F.silu(self.map.conv1(style_map))) / math.sqrt(max(self.c / 64, 1))
        tk = self.token.fc2(F.silu(self.token.fc1(token)))[:, :, None, None]
        gs, bs = spatial.chunk(2, 1)
        gg, bg = tk.chunk(2, 1)
        a = F.softplus(self.gates)
        return self.norm(x) * (1 + a[0] * gs + a[1] * gg) + a[2] * bs + a[3] * bg


class SpadeResBlock(nn.Module):
    """``conv2(ReLU(spade2(conv1(ReLU(spade1(x)))))) + skip(x)`` (``skip``: 1x1 conv without bias
    when ``in != out``), then a ReLU when ``relu`` (``compiler/lower/nets/spade.ts``
    ``applySpadeBlock``). Each SPADE is ``hidden`` wide. Ports ``x``, ``map``, ``token``."""

    def __init__(self, n):
        super().__init__()
        self.relu = bool(n["relu"])
        self.spade1 = Spade(n["in"], n["mapChannels"], n["tokenDim"], n["hidden"])
        self.conv1 = conv3(n["in"], n["out"])
        self.spade2 = Spade(n["out"], n["mapChannels"], n["tokenDim"], n["hidden"])
        self.conv2 = conv3(n["out"], n["out"])
        if n["in"] != n["out"]:
            self.skip = Conv(n["in"], n["out"], 1, bias=False)

    def forward(self, x, map, token):  # noqa: A002 (the IR port is named map)
        h = self.conv1(F.relu(self.spade1(x, map, token)))
        h = self.conv2(F.relu(self.spade2(h, map, token)))
        out = h + (self.skip(x) if hasattr(self, "skip") else x)
        return F.relu(out) if self.relu else out


def decoder_blocks(n):
    """``compiler/ir/params/convnets.ts`` ``decoderBlocks``: block ``i`` at 1-based level ``L - i``,
    every block ``spadeHidden`` wide with ``spadeRelu``."""
    out = []
    for i in range(n["levels"]):
        level = n["levels"] - 1 - i
        prev = level_channels(n, n["levels"] if i == 0 else level + 1)
        c = level_channels(n, level)
        out.append({"level": level + 1, "in": prev + c, "out": c, "mapChannels": n["mapChannels"],
                    "tokenDim": n["tokenDim"], "hidden": n["spadeHidden"], "relu": n["spadeRelu"]})
    return out


class DecoderHead(nn.Module):
    def __init__(self, c0, out_ch):
        super().__init__()
        self.conv1 = conv3(c0, c0)
        self.conv2 = conv3(c0, out_ch)


def upsample2(x):
    return F.interpolate(x, scale_factor=2, mode="nearest")


class UNetDecoder(nn.Module):
    """Per level L..1: up x2 (nearest) -> concat skip -> SpadeResBlock(map_l, token 1 + i); then
    conv3x3 -> ReLU -> up x2 -> conv3x3 -> tanh. Ports ``content``, ``style`` (structs)."""

    def __init__(self, n):
        super().__init__()
        self.plan = decoder_blocks(n)
        self.blocks = nn.ModuleList(SpadeResBlock(b) for b in self.plan)
        self.head = DecoderHead(level_channels(n, 0), n["outChannels"])

    def forward(self, content, style):
        h = content["bottleneck"]
        for i, (blk, b) in enumerate(zip(self.blocks, self.plan)):
            h = torch.cat([upsample2(h), content[f"skip{b['level']}"]], 1)
            h = blk(h, style[f"map{b['level']}"], style["tokens"][:, 1 + i])
        h = F.relu(self.head.conv1(h))
        return torch.tanh(self.head.conv2(upsample2(h)))


class Generator(nn.Module):
    """``G(x, style)``: content encoder on ``x``, style tokens from ``style``; the SPADE maps are
    the style encoder's map heads applied to the CONTENT skips (as the reference code does)."""

    def __init__(self, n):
        super().__init__()
        self.encoder = UNetEncoder(n["encoder"])
        self.styleEncoder = StylePyramidEncoder(n["styleEncoder"])
        self.decoder = UNetDecoder(n["decoder"])

    def forward(self, x, style):
        content = self.encoder(x)
        tokens = self.styleEncoder(style)["tokens"]
        maps = {f"map{level}": self.styleEncoder.map_head(level, content[f"skip{level}"])
                for level in range(1, self.styleEncoder.levels + 1)}
        return self.decoder(content=content, style={"tokens": tokens, **maps})


def patch_gan_channels(n, i):
    return 1 if i == n["layers"] else n["ndf"] * min(2 ** i, 8)


class PatchGan(nn.Module):
    """conv4 s2 p1 -> ndf, LeakyReLU 0.2; (layers - 1) x (conv4 s2 p1 -> IN (no affine) ->
    LeakyReLU 0.2); conv4 s1 p1 -> 1 (raw scores); spectral norm on every conv when asked."""

    def __init__(self, n):
        super().__init__()
        self.layers = n["layers"]
        self.convs = nn.ModuleList(
            Conv(n["inChannels"] if i == 0 else patch_gan_channels(n, i - 1), patch_gan_channels(n, i), 4,
                 1 if i == n["layers"] else 2, 1, spectral_norm=n["spectralNorm"])
            for i in range(n["layers"] + 1))
        self.norms = [InstanceNorm(patch_gan_channels(n, i), False, IN_EPS) for i in range(n["layers"])]

    def forward(self, x):
        for i, conv in enumerate(self.convs):
            x = conv(x)
            if i == self.layers:
                break
            if i > 0:
                x = self.norms[i](x)
            x = F.leaky_relu(x, 0.2)
        return x
