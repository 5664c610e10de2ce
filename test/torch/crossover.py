"""Run by test/torch/crossover.test.ts. ``read RUN GRAPH IMAGES OUT``: loads the run's latest
checkpoint (written by TF.js) into tessera_torch and writes the embeddings of IMAGES;
``write RUN GRAPH IMAGES OUT``: trains 2 steps with tessera_torch, checkpoints into RUN and writes
the embeddings of IMAGES. Embeddings: JSON ``{representation: [[...], ...]}``."""
import json
import sys

import numpy as np
import torch

sys.path.insert(0, sys.argv[6])
from tessera_torch import safetensors  # noqa: E402
from tessera_torch.method import Method  # noqa: E402
from tessera_torch.runfolder import load_latest, load_weights, rng_state, save_checkpoint  # noqa: E402

mode, run, graph_file, images_file, out = sys.argv[1:6]
with open(graph_file) as f:
    compiled = json.load(f)
images = torch.from_numpy(np.array(safetensors.load(images_file)[0]["images"])).permute(0, 3, 1, 2).contiguous()
method = Method(compiled, seed=9)
if mode == "read":
    step, tensors, _ = load_latest(run)
    load_weights(method, {k[len("weights/"):]: v for k, v in tensors.items() if k.startswith("weights/")}, run)
else:
    for step in range(2):
        method.step(images, step, 10)
    save_checkpoint(run, 2, method, {"specHash": compiled["specHash"], "seed": 9, "rng": rng_state(9), "backend": "torch"})
emb = {r["name"]: method.embed(r["name"], images).tolist() for r in compiled["graph"]["representations"]}
with open(out, "w") as f:
    json.dump(emb, f)
