"""View rules: batched augmentations (``compiler/ir/augment.ts``, ``data/augment``) on NCHW
batches in [0, 1]. Per-image parameters are drawn on the CPU from a NumPy generator for the
*global* batch, and each process applies its slice: a view does not depend on the number of
processes. Everything runs without gradient."""
import math

import numpy as np
import torch
import torch.nn.functional as F

LUMA = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)


def _coins(p, n, rng):
    return (rng.random(n) < p).astype(np.float32)


def _per_image(v, x):
    return torch.as_tensor(np.asarray(v, dtype=np.float32)).view(-1, 1, 1, 1).to(x)


def crop_box(node, h, w, rng):
    """torchvision ``RandomResizedCrop.get_params``: (top, left, height, width)."""
    area = h * w
    lo, hi = math.log(node["ratio"][0]), math.log(node["ratio"][1])
    for _ in range(10):
        target = area * rng.uniform(*node["scale"])
        aspect = math.exp(rng.uniform(lo, hi))
        cw, ch = round(math.sqrt(target * aspect)), round(math.sqrt(target / aspect))
        if 0 < cw <= w and 0 < ch <= h:
            return int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1)), ch, cw
    ratio = w / h
    ch, cw = h, w
    if ratio < node["ratio"][0]:
        ch = round(w / node["ratio"][0])
    elif ratio > node["ratio"][1]:
        cw = round(h * node["ratio"][1])
    return (h - ch) // 2, (w - cw) // 2, ch, cw


def crop_resize(x, boxes, size):
    """Bilinear crop-and-resize with corners on the first and last pixel centres of each crop
    (``tf.image.cropAndResize``), as one ``grid_sample``."""
    b, _, h, w = x.shape
    t = torch.linspace(0, 1, size) if size > 1 else torch.zeros(1)
    bx = torch.tensor(boxes, dtype=torch.float32)  # [B, 4] top, left, height, width
    ys = bx[:, 0:1] + t * (bx[:, 2:3] - 1)  # [B, size] pixel rows
    xs = bx[:, 1:2] + t * (bx[:, 3:4] - 1)
    gy = 2 * ys / max(h - 1, 1) - 1
    gx = 2 * xs / max(w - 1, 1) - 1
    grid = torch.stack([gx[:, None, :].expand(b, size, size), gy[:, :, None].expand(b, size, size)], -1)
    return F.grid_sample(x, grid.to(x), mode="bilinear", padding_mode="border", align_corners=True)


def luma(x):
    return (x * LUMA.to(x)).sum(1, keepdim=True)


def _blend(x, ref, f):
    k = _per_image(f, x)
    return (k * x + (1 - k) * ref).clamp(0, 1)


def _brightness(x, f):
    return _blend(x, torch.zeros_like(x), f)


def _contrast(x, f):
    return _blend(x, luma(x).mean((1, 2, 3), keepdim=True), f)


def _saturation(x, f):
    return _blend(x, luma(x), f)


def _hue(x, shift):
    v, idx = x.max(1, keepdim=True)
    c = v - x.min(1, keepdim=True).values
    s = c / v.clamp_min(1e-12)
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    diff = torch.where(idx == 0, g - b, torch.where(idx == 1, b - r, r - g))
    h = (diff / c.clamp_min(1e-12) + 2 * idx.float()) / 6
    h = h - h.floor() + _per_image(shift, x)
    h = h - h.floor()
    k6 = h * 6 + torch.tensor([5.0, 3.0, 1.0]).view(1, 3, 1, 1).to(x)
    k = k6 - torch.floor(k6 / 6) * 6
    wgt = torch.minimum(k, 4 - k).clamp(0, 1)
    return (v - v * s * wgt).clamp(0, 1)


_OPS = (_brightness, _contrast, _saturation, _hue)
_IDENTITY = (1.0, 1.0, 1.0, 0.0)


def _jitter_params(node, n, rng):
    rows = []
    for _ in range(n):
        apply = rng.random() < node["p"]
        order = rng.permutation(4)
        f = lambda a: rng.uniform(max(0, 1 - a), 1 + a) if a > 0 else 1.0
        vals = [f(node["brightness"]), f(node["contrast"]), f(node["saturation"]),
                rng.uniform(-node["hue"], node["hue"]) if node["hue"] > 0 else 0.0]
        rows.append((order, vals if apply else list(_IDENTITY)))
    return rows


def color_jitter(x, rows, sl=slice(None)):
    """Brightness, contrast, saturation, hue in a random order per image (torchvision). ``rows``
    are the global batch's parameters, ``sl`` this process's part: an op runs (and clamps every
    image to [0, 1]) when it is active for any image of the GLOBAL batch, as on one process."""
    for k in range(4):
        for op in range(4):
            active = [o[k] == op and v[op] != _IDENTITY[op] for o, v in rows]
            if any(active):
                x = _OPS[op](x, [v[op] if a else _IDENTITY[op] for (o, v), a in zip(rows[sl], active[sl])])
    return x


def blur_size(node, side):
    wanted = node["kernel"] if node["kernel"] > 0 else 2 * math.ceil(3 * node["sigma"][1]) + 1
    odd = wanted if wanted % 2 == 1 else wanted + 1
    return max(1, min(odd, 2 * side - 1))


def blur(x, sigmas, size):
    """Per-image Gaussian blur, reflect padding, one grouped separable convolution."""
    b, c, h, w = x.shape
    half = (size - 1) / 2
    taps = []
    for s in sigmas:
        i = np.arange(size) - half
        k = np.exp(-(i ** 2) / (2 * s * s)) if s > 0 else (i == 0).astype(np.float64)
        taps.append(k / k.sum())
    k = torch.tensor(np.repeat(np.array(taps), c, axis=0), dtype=x.dtype)  # [B*C, size]
    pad = int(half)
    y = F.pad(x.reshape(1, b * c, h, w), (pad, pad, pad, pad), mode="reflect")
    y = F.conv2d(y, k.view(b * c, 1, size, 1), groups=b * c)
    y = F.conv2d(y, k.view(b * c, 1, 1, size), groups=b * c)
    return y.reshape(b, c, h, w)


def _fftfreq(n):
    return np.array([(k if k < math.ceil(n / 2) else k - n) / n for k in range(n)])


def frequency_weight(h, w, gamma):
    """``R = (|f| / max|f|)^gamma`` ``[H, W]`` (``compiler/lower/augment/spectral.ts``)."""
    mag = np.hypot(_fftfreq(h)[:, None], _fftfreq(w)[None, :])
    top = mag.max()
    return torch.from_numpy(((mag / top) ** gamma if top > 0 else mag * 0).astype(np.float32))


def symmetrize(eps):
    """Hermitian-symmetric noise ``[B, C, H, W]``: ``eps(k)`` where ``k <= -k`` (row-major flat
    index), mirrored elsewhere, so the perturbed spectrum stays that of a real image."""
    h, w = eps.shape[2:]
    rev_h, rev_w = [(h - k) % h for k in range(h)], [(w - k) % w for k in range(w)]
    mirrored = eps[:, :, rev_h][:, :, :, rev_w]
    flat = torch.arange(h * w).view(h, w)
    keep = (flat <= flat[rev_h][:, rev_w]).float()
    return keep * eps + (1 - keep) * mirrored


def apply_spectral_noise(x, eps, sigmas, gamma):
    """``clamp(IDFT2(DFT2(x) exp(sigma R sym(eps))), 0, 1)`` (orthonormal, real part), per image ``sigma``."""
    r = frequency_weight(x.shape[2], x.shape[3], gamma).to(x)
    gain = torch.exp(_per_image(sigmas, x) * r * symmetrize(eps))
    return torch.fft.ifft2(torch.fft.fft2(x, norm="ortho") * gain, norm="ortho").real.clamp(0, 1)


def spectral_noise(x, node, rng, sl, total):
    """Per image a coin ``p`` (sigma or 0), then standard normal noise ``[total, C, H, W]``."""
    sigmas = np.where(_coins(node["p"], total, rng) > 0, node["sigma"], 0.0)
    if not sigmas.any():
        return x
    eps = torch.from_numpy(rng.standard_normal((total,) + tuple(x.shape[1:])).astype(np.float32))
    return apply_spectral_noise(x, eps[sl].to(x), sigmas[sl], node["gamma"])


def apply_pipeline(x, pipeline, rng, offset, total):
    """Applies a view's pipeline to the local images ``x [b, C, H, W]`` (rows ``offset ..
    offset + b`` of a global batch of ``total``); parameters are drawn for all ``total``."""
    b = x.shape[0]
    sl = slice(offset, offset + b)
    with torch.no_grad():
        for node in pipeline:
            tag = node["_tag"]
            if tag == "RandomResizedCrop":
                boxes = [crop_box(node, x.shape[2], x.shape[3], rng) for _ in range(total)]
                x = crop_resize(x, boxes[sl], node["size"])
            elif tag == "HorizontalFlip":
                m = _per_image(_coins(node["p"], total, rng)[sl], x)
                x = m * x.flip(3) + (1 - m) * x
            elif tag == "ColorJitter":
                x = color_jitter(x, _jitter_params(node, total, rng), sl)
            elif tag == "Grayscale":
                m = _per_image(_coins(node["p"], total, rng)[sl], x)
                x = x + m * (luma(x) - x)
            elif tag == "GaussianBlur":
                sig = [(s if a else 0.0) for a, s in ((rng.random() < node["p"], rng.uniform(*node["sigma"])) for _ in range(total))]
                x = blur(x, sig[sl], blur_size(node, min(x.shape[2], x.shape[3])))
            elif tag == "Solarize":
                m = _per_image(_coins(node["p"], total, rng)[sl], x)
                x = x + m * (x >= node["threshold"]).float() * (1 - 2 * x)
            elif tag == "Resize":
                x = F.interpolate(x, size=(node["size"], node["size"]), mode="bilinear", align_corners=False)
            elif tag == "SpectralNoise":
                x = spectral_noise(x, node, rng, sl, total)
            elif tag == "Normalize":
                x = (x - torch.tensor(node["mean"]).view(1, -1, 1, 1)) / torch.tensor(node["std"]).view(1, -1, 1, 1)
            else:
                raise NotImplementedError(f"torch target: no rule for augmentation {tag!r} (listed in AUG_MISSING)")
    return x


AUG_RULES = ("RandomResizedCrop", "HorizontalFlip", "ColorJitter", "Grayscale", "GaussianBlur", "Solarize",
             "SpectralNoise", "Resize", "Normalize")
AUG_MISSING = ()
