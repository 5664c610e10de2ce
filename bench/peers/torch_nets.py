"""Hand-written PyTorch modules of the tessera `tiny` models, for the step benchmark's PyTorch peer.

Written the way a PyTorch user writes them (timm / the reference repositories' style: `nn.Module`s,
`nn.Linear`, `nn.Conv2d`, `nn.LayerNorm`, `nn.BatchNorm1d`, autograd). Sizes come from tessera's IR
net nodes (`compiler/ir/net.ts`: `Vit`, `Mlp`, `TransformerPredictor`) passed as JSON dicts, so the
peer trains the same architecture as the compiled step. It does not share tessera's weights: it is a
timing peer, checked for parameter count and FLOPs against `tessera check` (test/bench/peers.test.ts).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def sincos_2d(grid, dim, row_first):
    """Fixed 2-D sin-cos positions [grid*grid, dim] (MoCo v3 order when row_first, else I-JEPA's)."""
    q = dim // 4
    omega = 1.0 / (10000 ** (torch.arange(q, dtype=torch.float32) / q))
    r, c = torch.meshgrid(torch.arange(grid, dtype=torch.float32), torch.arange(grid, dtype=torch.float32), indexing="ij")
    a, b = (r, c) if row_first else (c, r)
    a = a.reshape(-1, 1) * omega
    b = b.reshape(-1, 1) * omega
    return torch.cat([a.sin(), a.cos(), b.sin(), b.cos()], dim=1)


class Attention(nn.Module):
    """timm-style multi-head self-attention: one qkv Linear, `q @ k^T * scale`, softmax, `@ v`."""

    def __init__(self, dim, heads, qkv_bias=True):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, d))


class Block(nn.Module):
    """Pre-norm transformer block with exact GELU."""

    def __init__(self, dim, heads, mlp_ratio, qkv_bias, eps):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, heads, qkv_bias)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    """ViT from an IR `Vit` node: conv patchify, fixed sin-cos positions, optional [CLS], blocks, LN."""

    def __init__(self, n):
        super().__init__()
        self.cls = n["cls"]
        self.output = n["output"]
        grid = n["imageSize"] // n["patch"]
        self.patch_embed = nn.Conv2d(n["inChannels"], n["dim"], n["patch"], stride=n["patch"])
        if n["stopGradPatchEmbed"]:
            self.patch_embed.requires_grad_(False)
        self.register_buffer("pos", sincos_2d(grid, n["dim"], row_first=n["cls"]))
        self.cls_token = nn.Parameter(torch.zeros(1, 1, n["dim"])) if n["cls"] else None
        self.blocks = nn.ModuleList(
            Block(n["dim"], n["heads"], n["mlpRatio"], n["qkvBias"], n["eps"]) for _ in range(n["depth"])
        )
        self.norm = nn.LayerNorm(n["dim"], eps=n["eps"])

    def forward(self, images, keep=None):
        x = self.patch_embed(images).flatten(2).transpose(1, 2) + self.pos
        if keep is not None:
            x = torch.gather(x, 1, keep.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
        if self.cls_token is not None:
            x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        for blk in self.blocks:
            x = blk(x)
        x = self.norm(x)
        if self.output == "cls":
            return x[:, 0]
        if self.output == "mean":
            return x.mean(dim=1)
        return x


def mlp(n):
    """MoCo v3 `_build_mlp` from an IR `Mlp` node: (L-1) x [Linear, BN, ReLU], Linear, optional last BN."""
    if n["norm"] != "batch" or n["activation"] != "relu":
        raise ValueError(f"torch peer: only BatchNorm + ReLU MLPs are written, got {n['norm']} / {n['activation']}")
    layers = []
    for i in range(n["layers"]):
        d_in = n["in"] if i == 0 else n["hidden"]
        last = i == n["layers"] - 1
        d_out = n["out"] if last else n["hidden"]
        layers.append(nn.Linear(d_in, d_out, bias=n["bias"]))
        if not last:
            layers += [nn.BatchNorm1d(d_out), nn.ReLU(inplace=True)]
        elif n["lastNorm"] != "none":
            layers.append(nn.BatchNorm1d(d_out, affine=n["lastNorm"] == "batch"))
    return nn.Sequential(*layers)


class Predictor(nn.Module):
    """I-JEPA predictor from an IR `TransformerPredictor` node (facebookresearch/ijepa style)."""

    def __init__(self, n, eps=1e-6):
        super().__init__()
        self.embed = nn.Linear(n["inDim"], n["dim"])
        self.mask_token = nn.Parameter(torch.zeros(1, 1, n["dim"]))
        self.register_buffer("pos", sincos_2d(n["grid"][0], n["dim"], row_first=False))
        self.blocks = nn.ModuleList(Block(n["dim"], n["heads"], n["mlpRatio"], True, eps) for _ in range(n["depth"]))
        self.norm = nn.LayerNorm(n["dim"], eps=eps)
        self.proj = nn.Linear(n["dim"], n["inDim"])

    def forward(self, x, context, targets):
        """x [B, Kc, D], context [B, Kc], targets [T, B, Kt] -> [T*B, Kt, D] (target-major)."""
        t, b, kt = targets.shape
        z = self.embed(x) + self.pos[context]
        masks = self.pos[targets.reshape(t * b, kt)] + self.mask_token
        h = torch.cat([z.repeat(t, 1, 1), masks], dim=1)
        for blk in self.blocks:
            h = blk(h)
        h = self.norm(h)
        return self.proj(h[:, -kt:])


def trainable_count(*modules):
    """Parameters of `modules` (frozen ones included, as `tessera check` counts them)."""
    return sum(p.numel() for m in modules for p in m.parameters())

