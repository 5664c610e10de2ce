"""ST-STORM's token predictor and fusion head as ``compiler/lower/nets/predictor.ts`` lowers them
(methods.md 3.5 and 3.2); LayerNorms use PyTorch's eps 1e-5, sizes come from the IR node."""
import torch
from torch import nn
import torch.nn.functional as F

from .layers import Attention, linear

TORCH_EPS = 1e-5


class TokenMlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = linear(dim, hidden, True, "default")
        self.fc2 = linear(hidden, dim, True, "default")


class TokenPredictor(nn.Module):
    """``x + fc2(GELU(fc1(norm2(attn(norm1(l2norm(x)) + pos)))))``, ``[B, count, dim]``: attention
    Xavier (``nn.MultiheadAttention``), linears PyTorch default, ``pos`` trunc-normal 0.02."""

    def __init__(self, n):
        super().__init__()
        dim = n["dim"]
        self.heads = n["heads"]
        self.norm1 = nn.LayerNorm(dim, eps=TORCH_EPS)
        self.pos = nn.Parameter(torch.zeros(1, n["count"], dim))
        nn.init.trunc_normal_(self.pos, std=0.02, a=-0.04, b=0.04)
        self.attn = Attention(dim, n["heads"], True, "xavierUniform")
        self.norm2 = nn.LayerNorm(dim, eps=TORCH_EPS)
        self.mlp = TokenMlp(dim, int(dim * n["hiddenRatio"]))

    def forward(self, x):
        q = self.norm1(F.normalize(x, dim=-1, eps=1e-12)) + self.pos
        m = self.norm2(self.attn(q))
        return x + self.mlp.fc2(F.gelu(self.mlp.fc1(m)))


class FusionHead(nn.Module):
    """``z_s = GELU(styleProj(styleNorm(style)))``, ``z_m`` likewise from ``content``,
    ``g = sigmoid(gate(gateNorm([z_s; z_m])))``, ``norm(g z_m + (1 - g) z_s)``; no dropout."""

    def __init__(self, n):
        super().__init__()
        d = n["dim"]
        self.styleNorm = nn.LayerNorm(n["styleDim"], eps=TORCH_EPS)
        self.styleProj = linear(n["styleDim"], d, True, "default")
        self.contentNorm = nn.LayerNorm(n["contentDim"], eps=TORCH_EPS)
        self.contentProj = linear(n["contentDim"], d, True, "default")
        self.gateNorm = nn.LayerNorm(2 * d, eps=TORCH_EPS)
        self.gate = linear(2 * d, d, True, "default")
        self.norm = nn.LayerNorm(d, eps=TORCH_EPS)

    def forward(self, style, content):
        zs = F.gelu(self.styleProj(self.styleNorm(style)))
        zm = F.gelu(self.contentProj(self.contentNorm(content)))
        g = torch.sigmoid(self.gate(self.gateNorm(torch.cat([zs, zm], -1))))
        return self.norm(g * zm + (1 - g) * zs)
