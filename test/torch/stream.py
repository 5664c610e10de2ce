"""Torch side of test/torch/stream.test.ts: the shards of every process for steps 0..STEPS-1 from
the in-memory images and from the streaming ones (no workers; 2 workers with the next step
prefetched, as train.py does) and from ``open_images(..., "auto")``; prints how many shards were
compared, how many differ, and which class auto picked, as JSON.
``python3 stream.py FOLDER SIZE BATCH STEPS PKG``."""
import json
import sys

import torch

sys.path.insert(0, sys.argv[5])
from tessera_torch import data  # noqa: E402

root, size, batch, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
held = data.InMemoryImages(root, size)
plain = data.StreamingImages(root, size)
pooled = data.StreamingImages(root, size, workers=2)
compared, differ = 0, 0
for rank in range(2):
    for step in range(steps):
        idx = data.global_batch_indices(len(held.files), batch, 0, step)
        want = data.shard(held, idx, rank, 2)
        got = [data.shard(plain, idx, rank, 2), data.shard(pooled, idx, rank, 2)]
        if step + 1 < steps:
            pooled.prefetch(data.shard_indices(data.global_batch_indices(len(held.files), batch, 0, step + 1), rank, 2))
        for g in got:
            compared += 1
            differ += int(not torch.equal(g, want))
auto = data.open_images(root, size, "auto")
data.STREAM_ABOVE_BYTES = 0
forced = data.open_images(root, size, "auto")
print(json.dumps({"compared": compared, "differ": differ, "auto": type(auto).__name__,
                  "autoLarge": type(forced).__name__, "files": len(held.files), "shape": list(want.shape)}))
