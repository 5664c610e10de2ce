"""Run by test/torch/ddp.test.ts, once as one process and once under torchrun with 2 (gloo):
``STEPS`` training steps of the graph on fixed global batches (seeded uniform images), printing
(rank 0) the loss terms of every step and, after the last step, the sum and the norm of every
parameter tensor, as JSON."""
import json
import sys

import numpy as np
import torch
import torch.distributed as dist

sys.path.insert(0, sys.argv[2])
from tessera_torch import distributed as D  # noqa: E402
from tessera_torch.method import Method  # noqa: E402
from tessera_torch.train import init_processes  # noqa: E402

graph_file, batch, steps = sys.argv[1], int(sys.argv[3]), int(sys.argv[4])
init_processes()
with open(graph_file) as f:
    compiled = json.load(f)
method = Method(compiled, seed=5)
size = compiled["graph"]["method"]["input"]["size"]
rank, world = D.rank(), D.world()
b = batch // world
losses = []
for step in range(steps):
    images = torch.from_numpy(np.random.default_rng([11, step]).random((batch, 3, size, size), dtype=np.float32))
    m = method.step(images[rank * b:(rank + 1) * b], step, 600, total=batch, offset=rank * b)
    losses.append(m["terms"])
params = {f"{n}/{k}": [float(p.double().sum()), float(p.double().norm())] for n, mod in method.modules.items()
          for k, p in mod.state_dict().items()}
if rank == 0:
    print(json.dumps({"world": world, "losses": losses, "params": params}))
if dist.is_initialized():
    dist.destroy_process_group()
