"""Worker of bench/torch.ts: builds the torch step of GRAPH and times one step per line read on
stdin (``step``), answering the milliseconds of that step; ``quit`` ends it. Images: the batch
in IMAGES (safetensors, NHWC)."""
import json
import sys
import time

import numpy as np
import torch

sys.path.insert(0, sys.argv[3])
from tessera_torch import safetensors  # noqa: E402
from tessera_torch.method import Method  # noqa: E402

with open(sys.argv[1]) as f:
    compiled = json.load(f)
images = torch.from_numpy(np.array(safetensors.load(sys.argv[2])[0]["images"])).permute(0, 3, 1, 2).contiguous()
paired = images.flip(0)  # timing: the batch reversed stands in for the other fold's (pairedImages)
try:
    method = Method(compiled, seed=0, distributed=False)
except NotImplementedError as e:
    print(json.dumps({"ready": False, "error": str(e).split(";")[0]}), flush=True)
    sys.exit(0)
step = 0
print(json.dumps({"ready": True, "threads": torch.get_num_threads()}), flush=True)
for line in sys.stdin:
    if line.strip() != "step":
        break
    t = time.perf_counter()
    m = method.step(images, 300 + step, 600, paired=paired)
    ms = (time.perf_counter() - t) * 1000
    step += 1
    print(json.dumps({"ms": ms, "loss": m["loss"]}), flush=True)
