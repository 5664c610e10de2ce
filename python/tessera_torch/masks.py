"""Mask rules: I-JEPA multi-block masks (``data/masks/multiBlock.ts``, facebookresearch/ijepa
``src/masks/multiblock.py``) and the Style-JEPA token mask, drawn on the CPU for the global
batch (lists truncated to the global minimum, then sliced per process)."""
import math

import numpy as np
import torch


def block_size(grid, scale, aspect, rng):
    gh, gw = grid
    u = rng.random()
    s = scale[0] + u * (scale[1] - scale[0])
    a = aspect[0] + u * (aspect[1] - aspect[0])
    n = math.floor(gh * gw * s)
    h, w = round(math.sqrt(n * a)), round(math.sqrt(n / a))
    while h >= gh:
        h -= 1
    while w >= gw:
        w -= 1
    return h, w


def _place(grid, size, rng, excluded):
    gh, gw = grid
    top, left = int(rng.integers(0, gh - size[0])), int(rng.integers(0, gw - size[1]))
    block = {r * gw + c for r in range(top, top + size[0]) for c in range(left, left + size[1])}
    kept = sorted(i for i in block if all(i not in e for e in excluded))
    return kept, block


def _valid(grid, size, min_keep, rng, constraints):
    if size[0] * size[1] <= min_keep:
        raise ValueError(f"multi-block mask: a {size[0]}x{size[1]} block can never keep more than minKeep={min_keep} patches\n"
                         "hint: raise the block scale or lower minKeep")
    tries = 0
    while True:
        active = constraints[:max(0, len(constraints) - tries // 20)]
        kept, block = _place(grid, size, rng, active)
        if len(kept) > min_keep:
            return kept, block
        tries += 1


def multi_block(spec, total, rng, offset, count):
    """``{"context": [b, Kc], "targets": [T, b, Kt]}`` long tensors for rows ``offset .. offset+count``."""
    if spec["contexts"] != 1:
        raise ValueError(f"multi-block mask: contexts must be 1 (I-JEPA), got {spec['contexts']}")
    t_size = block_size(spec["grid"], spec["targetScale"], spec["targetAspect"], rng)
    c_size = block_size(spec["grid"], spec["contextScale"], spec["contextAspect"], rng)
    targets = [[] for _ in range(spec["targets"])]
    context = []
    for _ in range(total):
        blocks = [_valid(spec["grid"], t_size, spec["minKeep"], rng, []) for _ in range(spec["targets"])]
        for t, (kept, _) in enumerate(blocks):
            targets[t].append(kept)
        cons = [] if spec["allowOverlap"] else [blk for _, blk in blocks]
        context.append(_valid(spec["grid"], c_size, spec["minKeep"], rng, cons)[0])
    kc = min(len(c) for c in context)
    kt = min(len(l) for tl in targets for l in tl)
    sl = slice(offset, offset + count)
    ctx = torch.tensor([c[:kc] for c in context][sl], dtype=torch.long)
    tgt = torch.tensor([[l[:kt] for l in tl][sl] for tl in targets], dtype=torch.long)
    return {"context": ctx, "targets": tgt}


def token_mask(node, total, rng, offset, count):
    """``mask [b, count]`` of 0/1: position s masked with probability ``min(1, ratio imp_s)``."""
    n = node["count"]
    imp = np.array([node["bias"] if n == 1 else node["bias"] + (1 - node["bias"]) * s / (n - 1) for s in range(n)])
    p = np.minimum(1, node["ratio"] * imp / imp.mean())
    m = (rng.random((total, n)) < p).astype(np.float32)
    return torch.from_numpy(m[offset:offset + count])
