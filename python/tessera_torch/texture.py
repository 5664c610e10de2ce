"""ST-STORM's texture and patch losses as ``compiler/lower/losses/texture.ts`` and
``contrastive.ts`` (PatchNCE) compute them: FFT log-amplitude L1, sliced Wasserstein distance of
standardised patches over the bands of a Laplacian pyramid, PatchNCE (CUT form). Random samples
(positions, patches, projections) come from ``ctx.draws`` in the same order as TF.js draws them. Images are NCHW. Under DDP the sliced
Wasserstein distance compares the patch distributions of the global batch (``pred`` and
``target`` gathered, differentiably); the other two are per-image means."""
import math

import numpy as np
import torch
import torch.nn.functional as F

from . import distributed as D


def _images(inputs, tag):
    p, t = inputs["pred"], inputs["target"]
    if p.dim() != 4 or p.shape != t.shape:
        raise ValueError(f"{tag}: expected two images [B, C, H, W] of one shape, got {list(p.shape)} and {list(t.shape)}")
    return p, t


def _log_amplitude(x):
    s = torch.fft.rfft2(x, norm="ortho")  # the half spectrum v = 0 .. W/2
    return torch.sqrt(s.real ** 2 + s.imag ** 2 + 1e-16).clamp_min(1e-8).log()


def fft_amplitude_l1(node, inputs, ctx):
    """``mean |log max(|F a|, 1e-8) - log max(|F b|, 1e-8)|`` over orthonormal per-channel spectra."""
    p, t = _images(inputs, "FftAmplitudeL1")
    return (_log_amplitude(p) - _log_amplitude(t)).abs().mean()


def patch_grid(shape, patch):
    """``(k, [(image, top, left)])``: ``k = min(patch, H, W)``, stride ``max(k // 2, 1)``, image-major."""
    b, _, h, w = shape
    k = min(patch, h, w)
    s = max(k // 2, 1)
    return k, [(i, top, left) for i in range(b) for top in range(0, h - k + 1, s) for left in range(0, w - k + 1, s)]


def _standard_patches(x, at, k):
    rows = torch.stack([x[i, :, top:top + k, left:left + k].permute(1, 2, 0).reshape(-1) for i, top, left in at])
    var, mean = torch.var_mean(rows, 1, unbiased=False, keepdim=True)
    return (rows - mean) / torch.sqrt(var + 1e-12)


def max_pyramid_levels(h, w):
    """``compiler/ir/loss.ts`` ``maxPyramidLevels``: ``1 + floor(log2(min(h, w)))``."""
    return 1 + int(math.floor(math.log2(max(1, min(h, w)))))


def _pool_matrix(n):
    """``[ceil(n / 2), n]``: row ``i`` averages inputs ``2i`` and ``2i + 1`` (one of them at an odd end)."""
    m = np.zeros(((n + 1) // 2, n), dtype=np.float64)
    for i in range(m.shape[0]):
        cols = [c for c in (2 * i, 2 * i + 1) if c < n]
        m[i, cols] = 1 / len(cols)
    return m


def _upsample_matrix(out, n):
    """``[out, n]``: linear interpolation from ``n`` to ``out`` samples, half-pixel centres."""
    m = np.zeros((out, n), dtype=np.float64)
    for i in range(out):
        src = max(0.0, (i + 0.5) * n / out - 0.5)
        i0 = min(int(math.floor(src)), n - 1)
        i1 = min(i0 + 1, n - 1)
        m[i, i0] += 1 - (src - i0)
        m[i, i1] += src - i0
    return m


def _along(x, m, axis):
    """The constant matrix ``m [out, n]`` applied along axis 2 (rows) or 3 (columns) of NCHW ``x``."""
    mt = torch.from_numpy(m).to(x)
    return torch.einsum("oh,bchw->bcow", mt, x) if axis == 2 else torch.einsum("ow,bchw->bcho", mt, x)


def laplacian_pyramid(x, levels):
    """``compiler/lower/losses/texture.ts`` ``laplacianPyramid``: ``levels - 1`` bands ``cur -
    up(down)`` with ``down`` the 2x2 average pool (ceil mode: a lone odd end averages itself) and
    ``up`` bilinear with half-pixel centres back to ``cur``'s size, then the low-pass. ``levels =
    1`` is ``[x]``. Finest band first."""
    bands, cur = [], x
    for _ in range(1, levels):
        h, w = cur.shape[2], cur.shape[3]
        down = _along(_along(cur, _pool_matrix(h), 2), _pool_matrix(w), 3)
        up = _along(_along(down, _upsample_matrix(h, down.shape[2]), 2), _upsample_matrix(w, down.shape[3]), 3)
        bands.append(cur - up)
        cur = down
    return bands + [cur]


def _swd_band(node, a, b, ctx):
    """One band: A's patches, B's patches, then the projections are drawn (TF.js ``drawBand``)."""
    k, grid = patch_grid(a.shape, node["patch"])
    n = min(len(grid), node["maxPatches"])
    at_a = [grid[i] for i in ctx.draws.permutation(len(grid))[:n]]
    at_b = [grid[i] for i in ctx.draws.permutation(len(grid))[:n]]
    dim = k * k * a.shape[1]
    w = torch.from_numpy(ctx.draws.normal(dim * node["projections"]).reshape(dim, node["projections"])).to(a)
    w = w / (w.norm(dim=0, keepdim=True) + 1e-12)
    pa = (_standard_patches(a, at_a, k) @ w).t().sort(1).values
    pb = (_standard_patches(b, at_b, k) @ w).t().sort(1).values
    return (pa - pb).abs().mean()


def sliced_wasserstein(node, inputs, ctx):
    """The mean over the ``levels`` bands (capped at ``max_pyramid_levels``) of both images'
    Laplacian pyramids of: patches drawn without replacement (``maxPatches`` of each batch) from
    the band's grid, ``projections`` random unit directions, sorted 1-D projections compared by
    L1. Each band draws its own patches and projections, finest band first."""
    p, t = _images(inputs, "SlicedWasserstein")
    p, t = D.all_gather_cat(p), D.all_gather_cat(t)  # the patch distributions of the global batch
    levels = min(node["levels"], max_pyramid_levels(p.shape[2], p.shape[3]))
    per = [_swd_band(node, a, b, ctx) for a, b in zip(laplacian_pyramid(p, levels), laplacian_pyramid(t, levels))]
    return torch.stack(per).mean()


def _layers(v, name):
    if isinstance(v, dict):
        return [(f"{f}.{sub}" if sub else f, t) for f in sorted(v) for sub, t in _layers(v[f], f"{name}.{f}")]
    return [("", v)]


def patch_nce_at(q, k, positions, tau):
    """InfoNCE per image over the sampled positions: the key at the same position is the positive,
    the keys at the other positions of the same image the negatives; features L2-normalised."""
    b, c = q.shape[:2]
    idx = torch.as_tensor(positions, dtype=torch.long)
    qf = F.normalize(q.flatten(2)[:, :, idx].transpose(1, 2), dim=2, eps=1e-12)  # [B, N, C]
    kf = F.normalize(k.flatten(2)[:, :, idx].transpose(1, 2), dim=2, eps=1e-12)
    logits = qf @ kf.transpose(1, 2) / tau  # [B, N, N]
    labels = torch.arange(len(positions)).repeat(b)
    return F.cross_entropy(logits.reshape(-1, len(positions)), labels)


def patch_nce(node, inputs, ctx):
    """PatchNCE (CUT): ``patches`` positions per layer without replacement, shared by query and
    key, fresh per layer; layers of a struct input averaged."""
    keys = dict(_layers(inputs["key"], "key"))
    terms = []
    for name, q in _layers(inputs["query"], "query"):
        if name not in keys:
            raise ValueError(f"PatchNce: key has no layer {name!r} to match the query")
        hw = q.shape[2] * q.shape[3]
        positions = ctx.draws.permutation(hw)[:min(node["patches"], hw)]
        terms.append(patch_nce_at(q, keys[name], positions, node["temperature"]))
    return torch.stack(terms).mean()


TEXTURE_RULES = {"FftAmplitudeL1": fft_amplitude_l1, "SlicedWasserstein": sliced_wasserstein, "PatchNce": patch_nce}
