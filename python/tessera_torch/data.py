"""Training images from an image folder (``tessera data appearance --out DIR`` writes one):
jpg/png/webp files found recursively, in sorted path order, RGB, resized so the shorter side is
``size`` (bicubic) and centre-cropped, held in memory as ``uint8 [N, 3, size, size]``. Epoch ``e``
is shuffled by ``(seed, e)``; each step's global batch is split into equal per-process shards."""
import os

import numpy as np
import torch

EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")


def load_folder(root, size):
    from PIL import Image

    files = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs
                   if f.lower().endswith(EXTENSIONS))
    if not files:
        raise FileNotFoundError(f"--data {root}: no jpg/png/webp images found\n"
                                "hint: write the built-in set with `tessera data appearance --out DIR --n 2520 --size 32`")
    out = np.empty((len(files), size, size, 3), dtype=np.uint8)
    for i, rel in enumerate(files):
        with Image.open(os.path.join(root, rel)) as im:
            im = im.convert("RGB")
            w, h = im.size
            if (w, h) != (size, size):
                s = size / min(w, h)
                im = im.resize((max(size, round(w * s)), max(size, round(h * s))), Image.BICUBIC)
                w, h = im.size
                im = im.crop(((w - size) // 2, (h - size) // 2, (w - size) // 2 + size, (h - size) // 2 + size))
            out[i] = np.asarray(im)
    return torch.from_numpy(out).permute(0, 3, 1, 2).contiguous(), files


def global_batch_indices(n, batch, seed, step):
    """Dataset indices of the global batch of ``step`` (epochs of ``n // batch`` batches)."""
    per_epoch = n // batch
    if per_epoch < 1:
        raise ValueError(f"the dataset has {n} images, fewer than one global batch of {batch}\nhint: lower --batch or add images")
    epoch, k = divmod(step, per_epoch)
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return order[k * batch:(k + 1) * batch]


def shard(images_u8, indices, rank, world):
    """This process's rows of a global batch, float32 in [0, 1]."""
    b = len(indices) // world
    return images_u8[torch.from_numpy(indices[rank * b:(rank + 1) * b])].float() / 255.0
