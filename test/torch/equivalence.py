"""Torch side of test/torch/equivalence.test.ts: loads the TF.js reference file (initial weights,
images, the step's views/masks/permutations and loss draws, expected loss terms and gradients),
runs the same objective (argv[6], default the first) with tessera_torch and prints the
differences as JSON. ``python3 equivalence.py REF GRAPH PKG STEP TOTAL [OBJECTIVE]``."""
import json
import sys

import numpy as np
import torch

sys.path.insert(0, sys.argv[3])
from tessera_torch import safetensors  # noqa: E402
from tessera_torch.method import Method  # noqa: E402
from tessera_torch.runfolder import load_weights  # noqa: E402

torch.set_default_dtype(torch.float32)
tensors, _ = safetensors.load(sys.argv[1])
with open(sys.argv[2]) as f:
    compiled = json.load(f)
step, total = int(sys.argv[4]), int(sys.argv[5])
method = Method(compiled, seed=0, distributed=False)
load_weights(method, {k[len("weights/"):]: v for k, v in tensors.items() if k.startswith("weights/")}, "reference")
nodes = {n["id"]: n for n in compiled["graph"]["nodes"]}
fixed, draws = {}, {}
for k in sorted(tensors, key=lambda k: (len(k), k)):  # perm2 before perm10
    v = tensors[k]
    if not k.startswith("fixed/"):
        continue
    parts = k.split("/")
    t = torch.from_numpy(np.array(v))
    if nodes[parts[1]]["op"] == "Loss":  # the loss's draws, replayed in order
        d = draws.setdefault(parts[1], {"permutations": [], "normals": []})
        if parts[2] == "normals":
            d["normals"] = np.array(v)
        else:
            d["permutations"].append(np.array(v))
    elif len(parts) == 3:
        fixed.setdefault(parts[1], {})[parts[2]] = t.long()
    elif t.dim() == 4:  # images (views, permuted batches) NHWC -> NCHW
        fixed[parts[1]] = t.permute(0, 3, 1, 2).contiguous()
    else:
        fixed[parts[1]] = t
fixed.update(draws)
for k, v in tensors.items():
    if k.startswith("lossState/"):
        method.loss_state.queues[k[len("lossState/"):]] = torch.from_numpy(np.array(v)).float()
images = torch.from_numpy(np.array(tensors["images"])).permute(0, 3, 1, 2).contiguous()
objective = sys.argv[6] if len(sys.argv) > 6 else compiled["plan"][0]["objective"]
paired = torch.from_numpy(np.array(tensors["paired"])).permute(0, 3, 1, 2).contiguous() if "paired" in tensors else None
terms, grads = method.gradients(objective, images, step, total, fixed, paired=paired)
report = {"terms": {}, "grads": {}, "missing": []}
for k, v in tensors.items():
    if k.startswith("expect/terms/"):
        name = k[len("expect/terms/"):]
        report["terms"][name] = {"tfjs": float(v), "torch": terms[name], "abs": abs(float(v) - terms[name])}
    elif k.startswith("expect/grads/"):
        name = k[len("expect/grads/"):]
        if name not in grads:
            report["missing"].append(name)
            continue
        ref, got = np.array(v, dtype=np.float64), grads[name].double().numpy()
        scale = float(np.abs(ref).max())
        report["grads"][name] = {"maxAbs": float(np.abs(ref - got).max()), "scale": float(scale)}
report["extra"] = sorted(set(grads) - {k[len("expect/grads/"):] for k in tensors if k.startswith("expect/grads/")})
print(json.dumps(report))
