"""Training images from an image folder (``tessera data appearance --out DIR`` writes one):
jpg/png/webp files found recursively, in sorted path order, RGB, resized so the shorter side is
``size`` (bicubic) and centre-cropped. Epoch ``e`` is shuffled by ``(seed, e)``; each step's global
batch is split into equal per-process shards. With pseudo-domain folds (``training.folds``,
``step_indices``) an epoch is one pass over fold ``i`` and each step also has a paired batch from
fold ``i + 1``.

Two ways to hold them, with identical batches: ``InMemoryImages`` decodes every image once into
``uint8 [N, 3, size, size]``; ``StreamingImages`` decodes each process's rows of each step on the
fly (optionally on ``workers`` threads that also decode the next step's rows while this one
trains), for folders too large to hold. ``open_images`` picks one (``stream``: ``on``, ``off``, or
``auto``: stream when the decoded set would exceed ``STREAM_ABOVE_BYTES``)."""
import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np
import torch

EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")
#: ``auto`` streams folders whose decoded images (``N * 3 * size^2`` bytes) exceed this (2 GiB).
STREAM_ABOVE_BYTES = 2 << 30


def list_images(root):
    """Image paths under ``root`` relative to it, sorted; a clear error when there is none."""
    files = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs
                   if f.lower().endswith(EXTENSIONS))
    if not files:
        raise FileNotFoundError(f"--data {root}: no jpg/png/webp images found\n"
                                "hint: write the built-in set with `tessera data appearance --out DIR --n 2520 --size 32`")
    return files


def decode(path, size):
    """One image as ``uint8 [size, size, 3]``: RGB, shorter side resized to ``size`` (bicubic), centre crop."""
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("RGB")
        w, h = im.size
        if (w, h) != (size, size):
            s = size / min(w, h)
            im = im.resize((max(size, round(w * s)), max(size, round(h * s))), Image.BICUBIC)
            w, h = im.size
            im = im.crop(((w - size) // 2, (h - size) // 2, (w - size) // 2 + size, (h - size) // 2 + size))
        return np.asarray(im)


def load_folder(root, size):
    """Every image of ``root`` decoded: ``(uint8 [N, 3, size, size], relative paths)``."""
    files = list_images(root)
    out = np.empty((len(files), size, size, 3), dtype=np.uint8)
    for i, rel in enumerate(files):
        out[i] = decode(os.path.join(root, rel), size)
    return torch.from_numpy(out).permute(0, 3, 1, 2).contiguous(), files


class InMemoryImages:
    """The folder decoded once and held in memory."""

    streaming = False

    def __init__(self, root, size):
        self.data, self.files = load_folder(root, size)

    def rows(self, indices):
        """``uint8 [len(indices), 3, size, size]``."""
        return self.data[torch.from_numpy(np.asarray(indices, dtype=np.int64))]

    def prefetch(self, indices):
        pass


class StreamingImages:
    """The folder decoded row by row when a step asks for it; with ``workers > 0`` a thread pool
    decodes the rows in parallel and ``prefetch`` starts on the next step's rows."""

    streaming = True

    def __init__(self, root, size, workers=0):
        self.root, self.size, self.files = root, size, list_images(root)
        self.pool = ThreadPoolExecutor(workers) if workers > 0 else None
        self.pending = {}

    def _decode(self, i):
        return decode(os.path.join(self.root, self.files[i]), self.size)

    def prefetch(self, indices):
        """Starts decoding ``indices`` (used by the next ``rows`` call with the same indices)."""
        if self.pool is not None:
            self.pending = {int(i): self.pool.submit(self._decode, int(i)) for i in indices}

    def rows(self, indices):
        """``uint8 [len(indices), 3, size, size]``."""
        indices = [int(i) for i in indices]
        if self.pool is not None:
            futures = [self.pending.get(i) or self.pool.submit(self._decode, i) for i in indices]
            arrays = [f.result() for f in futures]
        else:
            arrays = [self._decode(i) for i in indices]
        self.pending = {}
        return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


def open_images(root, size, stream="auto", workers=0):
    """``InMemoryImages`` or ``StreamingImages`` for ``stream`` (``on``, ``off``, ``auto``)."""
    if stream not in ("on", "off", "auto"):
        raise ValueError(f"--stream {stream!r}: expected on, off or auto")
    if stream == "auto":
        stream = "on" if len(list_images(root)) * 3 * size * size > STREAM_ABOVE_BYTES else "off"
    return StreamingImages(root, size, workers) if stream == "on" else InMemoryImages(root, size)


def global_batch_indices(n, batch, seed, step):
    """Dataset indices of the global batch of ``step`` (epochs of ``n // batch`` batches)."""
    per_epoch = n // batch
    if per_epoch < 1:
        raise ValueError(f"the dataset has {n} images, fewer than one global batch of {batch}\nhint: lower --batch or add images")
    epoch, k = divmod(step, per_epoch)
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return order[k * batch:(k + 1) * batch]


#: Keys the fold split's generator apart from the epochs' ``[seed, epoch]`` and ``[seed, epoch, 1]``.
FOLD_KEY = 0x666F6C64


@lru_cache(maxsize=4)
def fold_split(n, k, seed):
    """The ``k`` pseudo-domain folds of ``n`` images for ``seed``: contiguous runs of one seeded
    permutation, disjoint, covering ``0..n-1``, sizes within one (the rule of
    ``runtime/dataOrder.ts``, drawn with NumPy's generator: not the same folds as TF.js's)."""
    order = np.random.default_rng([seed, 0, FOLD_KEY]).permutation(n)
    return tuple(order[j * n // k:(j + 1) * n // k] for j in range(k))


def step_indices(n, batch, seed, step, folds=None):
    """Dataset indices of the global batch of ``step`` and of its paired batch (``None`` without
    ``folds``, the spec's ``training.folds``). With folds, epoch ``e`` has ``(n // k) // batch``
    steps; its images come from fold ``i = (e // rotateEvery) % k`` shuffled by ``(seed, e)``, the
    paired batch from fold ``(i + 1) % k`` shuffled by ``(seed, e, 1)``."""
    if folds is None:
        return global_batch_indices(n, batch, seed, step), None
    k, every = folds["k"], folds["rotateEvery"]
    per_epoch = (n // k) // batch
    if per_epoch < 1:
        raise ValueError(f"the dataset has {n} images, fewer than one global batch of {batch} per fold ({k} pseudo-domain folds)\nhint: lower --batch or add images")
    epoch, j = divmod(step, per_epoch)
    i = (epoch // every) % k
    split = fold_split(n, k, seed)

    def pick(fold, key):
        return fold[np.random.default_rng(key).permutation(len(fold))[j * batch:(j + 1) * batch]]
    return pick(split[i], [seed, epoch]), pick(split[(i + 1) % k], [seed, epoch, 1])


def shard_indices(indices, rank, world):
    """This process's part of a global batch's indices."""
    b = len(indices) // world
    return indices[rank * b:(rank + 1) * b]


def shard(images, indices, rank, world):
    """This process's rows of a global batch, float32 in [0, 1] (``images``: an ``InMemoryImages``,
    a ``StreamingImages`` or a ``uint8 [N, 3, H, W]`` tensor)."""
    mine = shard_indices(indices, rank, world)
    if isinstance(images, torch.Tensor):
        return images[torch.from_numpy(mine)].float() / 255.0
    return images.rows(mine).float() / 255.0
