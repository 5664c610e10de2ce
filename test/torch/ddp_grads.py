"""Run by test/torch/ddp.test.ts for ST-STORM, once as one process and once under torchrun with 2
(gloo): from the same initial weights and memories (style bank and replay pre-filled with seeded
images, so phase B draws from them), every objective's loss terms and DDP-averaged gradients at
its step (phase A at step 0, R1 active; phase B at a later step), written by rank 0 to OUT.npz.
``python3 ddp_grads.py GRAPH PKG BATCH OUT.npz``; ``python3 ddp_grads.py compare ONE.npz TWO.npz``
prints per objective the worst term difference and the worst relative gradient difference (max
abs difference over the tensor's largest magnitude, floored at 1e-5 of the objective's largest;
the conv biases right before an InstanceNorm, zero in exact arithmetic, left out)."""
import json
import re
import sys

import numpy as np


def run(graph_file, pkg, batch, out):
    sys.path.insert(0, pkg)
    import torch
    import torch.distributed as dist
    from tessera_torch import distributed as D
    from tessera_torch.method import Method, phase_at
    from tessera_torch.train import init_processes

    init_processes()
    with open(graph_file) as f:
        compiled = json.load(f)
    method = Method(compiled, seed=5)
    size = compiled["graph"]["method"]["input"]["size"]
    for n in compiled["graph"]["nodes"]:
        if n["op"] == "Memory":
            bank = np.random.default_rng([7, len(method.memory.stored)]).random((6, 3, size, size), dtype=np.float32)
            method.memory.stored[n["expr"]["name"]] = torch.from_numpy(bank)
    rank, world = D.rank(), D.world()
    b = batch // world
    images = torch.from_numpy(np.random.default_rng(11).random((batch, 3, size, size), dtype=np.float32))
    # the other pseudo-domain fold's batch (ST-STORM's y), sharded like the images
    paired = torch.from_numpy(np.random.default_rng(12).random((batch, 3, size, size), dtype=np.float32))
    phases = compiled["graph"]["method"]["phases"]
    start_b = phases[0]["steps"] + 1  # the second step of phase B (R1 off)
    saved = {}
    for obj in compiled["graph"]["method"]["objectives"]:
        step = 0 if "A" in obj["phases"] else start_b
        assert phase_at(phases, step) in obj["phases"]
        terms, grads = method.gradients(obj["name"], images[rank * b:(rank + 1) * b], step, 600,
                                        total=batch, offset=rank * b, paired=paired[rank * b:(rank + 1) * b])
        saved.update({f"term/{obj['name']}/{k}": np.float64(v) for k, v in terms.items()})
        saved.update({f"grad/{obj['name']}/{k}": g.detach().double().numpy() for k, g in grads.items()})
    if rank == 0:
        np.savez(out, **saved)
    if dist.is_initialized():
        dist.destroy_process_group()


#: conv biases right before an InstanceNorm: zero gradient in exact arithmetic, rounding noise only
ZERO = re.compile(r"(down\.\d+\.conv|bottleneck\.(down\.)?conv|blocks\.\d+\.conv1|D_A/convs\.[12])\.bias$")


def compare(one, two):
    a, b = np.load(one), np.load(two)
    report = {}
    for key in sorted(a.files):
        kind, obj, name = key.split("/", 2)
        r = report.setdefault(obj, {"terms": 0.0, "grads": 0.0, "tensors": 0, "scales": {}})
        if kind == "term":
            r["terms"] = max(r["terms"], abs(float(a[key]) - float(b[key])) / max(1.0, abs(float(a[key]))))
        else:
            r["scales"][name] = (float(np.abs(a[key]).max()), float(np.abs(a[key] - b[key]).max()))
    for r in report.values():
        top = max(s for s, _ in r["scales"].values())
        r["grads"] = max(d / max(s, 1e-5 * top) for name, (s, d) in r["scales"].items() if not ZERO.search(name))
        r["worst"] = max((d / max(s, 1e-5 * top), name) for name, (s, d) in r["scales"].items() if not ZERO.search(name))[1]
        r["tensors"] = len(r.pop("scales"))
    print(json.dumps(report))


if __name__ == "__main__":
    if sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        run(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
