"""Torch side of test/torch/update.test.ts: ``update.py REPLAY GRAPH PACKAGE FIRST TOTAL``.

Loads the TF.js replay file (initial weights and buffers, each step's images and views/masks, the
weights and optimizer state TF.js reached), replays the same steps with tessera_torch's
``Method.step`` (``torch.optim.AdamW`` with the schedules set before each step, BatchNorm running
statistics, the EMA update) and prints JSON: per tensor the largest absolute difference from TF.js
and how far the tensor moved over the steps; per optimizer slot the largest difference and the
slot's scale; the torch side's terms, learning rates and EMA momenta per step; and the same
comparison for deliberately wrong replays (mutants), to show the comparison can see each part of
the update. Also checks tessera_torch's GlobalBatchNorm against ``torch.nn.BatchNorm1d``."""
import copy
import json
import sys

import numpy as np
import torch

sys.path.insert(0, sys.argv[3])
from tessera_torch import layouts, safetensors  # noqa: E402
from tessera_torch.layers import GlobalBatchNorm  # noqa: E402
from tessera_torch.method import Method  # noqa: E402
from tessera_torch.runfolder import load_weights, optimizer_state, weights  # noqa: E402
from tessera_torch.schedule import evaluate  # noqa: E402

torch.set_default_dtype(torch.float32)
tensors, _ = safetensors.load(sys.argv[1])
with open(sys.argv[2]) as f:
    COMPILED = json.load(f)
FIRST, TOTAL = int(sys.argv[4]), int(sys.argv[5])
NODES = {n["id"]: n for n in COMPILED["graph"]["nodes"]}
STEPS = sum(1 for k in tensors if k.startswith("images/"))
# the tolerances of update.test.ts (see there), for the mutants
ABS, MOVED, L2, ULPS = 1e-4, 1e-2, 1e-3, 4
# an element's gradient below NOISE x its tensor's largest, or a tensor's below TENSOR_NOISE x the
# objective's largest, is rounding noise (update.test.ts explains)
NOISE, TENSOR_NOISE = 1e-6, 1e-5


def prefixed(prefix):
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def nchw(a):
    return torch.from_numpy(np.array(a)).permute(0, 3, 1, 2).contiguous()


def fixed_of(i):
    """Step ``i``'s views (NHWC -> NCHW) and masks (int64), as ``Method.step``'s ``fixed``."""
    out = {}
    for k, v in prefixed(f"fixed/{i}/").items():
        parts = k.split("/")
        if len(parts) == 2:
            out.setdefault(parts[0], {})[parts[1]] = torch.from_numpy(np.array(v)).long()
        elif NODES[parts[0]]["op"] == "View":
            out[parts[0]] = nchw(v)
        else:
            out[parts[0]] = torch.from_numpy(np.array(v))
    return out


def gradients(method):
    """This step's gradients (``p.grad`` after ``Method.step``) as ``<module>/<path>`` in tessera's layout."""
    out = {}
    for name, module in method.modules.items():
        params = dict(module.named_parameters())
        for key, path, kind in layouts.names(module):
            p = params.get(key)
            if p is not None and p.grad is not None:
                out[f"{name}/{path}"] = layouts.to_tessera(p.grad, kind).double().numpy()
    return out


def replay(compiled, mutate=None):
    """The steps replayed by tessera_torch from the TF.js initial state: the method, each step's
    log and each step's gradients."""
    method = Method(compiled, seed=0, distributed=False)
    load_weights(method, prefixed("weights/"), "replay")
    if mutate is not None:
        mutate(method)
    logs, grads = [], []
    for i in range(STEPS):
        logs.append(method.step(nchw(tensors[f"images/{i}"]), FIRST + i, TOTAL, fixed=fixed_of(i)))
        grads.append(gradients(method))
    return method, logs, grads


def noise_masks(grads):
    """Per optimized tensor (and its EMA targets), the elements whose update Adam decides from
    rounding noise: at some step the gradient is below NOISE x the tensor's largest gradient, or
    the whole tensor's gradient is below TENSOR_NOISE x the objective's largest (zero in exact
    arithmetic, e.g. a LayerNorm shift followed by a bias-free linear layer and BatchNorm). Adam
    scales a gradient to about +-1 whatever its size, so the two sides' noise moves such an element
    by up to lr per step in a random direction."""
    largest = [max(float(np.abs(g).max()) for g in step.values()) for step in grads]
    masks = {}
    for k in grads[0]:
        if all(float(np.abs(step[k]).max()) < TENSOR_NOISE * big for step, big in zip(grads, largest)):
            masks[k] = np.ones(grads[0][k].shape, bool)
            continue
        mask = np.zeros(grads[0][k].shape, bool)
        for step in grads:
            mask |= np.abs(step[k]) < NOISE * np.abs(step[k]).max()
        masks[k] = mask
    for m in COMPILED["graph"]["modules"]:
        ema = m["decl"].get("ema")
        if ema is not None:
            src = f"{ema['source']}/"
            masks.update({f"{m['decl']['name']}/{k[len(src):]}": v for k, v in list(masks.items()) if k.startswith(src)})
    return masks


def compare(method, masks):
    """Per tensor ``{abs, moved, scale, buffer, masked, maskedAbs}`` (``abs``, ``moved``: largest
    difference from TF.js and largest movement over the steps, outside the noise mask), per
    optimizer slot ``{abs, scale}`` (outside the mask), and the keys on one side only."""
    init, expect, got = prefixed("weights/"), prefixed("expect/weights/"), weights(method)
    buffers = {k for name, module in method.modules.items() for key, path, _ in layouts.names(module)
               if key in dict(module.named_buffers()) for k in [f"{name}/{path}"]}
    out = {"weights": {}, "optimizer": {}, "missing": [], "extra": []}
    for k, ref in expect.items():
        if k not in got:
            out["missing"].append(k)
            continue
        r, g, i = (np.asarray(a, dtype=np.float64) for a in (ref, got[k], init[k]))
        noise = masks.get(k, np.zeros(r.shape, bool))
        keep, d = ~noise, np.abs(r - g)
        # the relative L2 norm of what exceeds a few float32 ulps of each value
        excess = np.maximum(d - ULPS * np.spacing(np.abs(r).astype(np.float32)), 0)[keep]
        moved = float(np.linalg.norm((r - i)[keep]))
        out["weights"][k] = {"abs": float(d[keep].max(initial=0)), "moved": float(np.abs(r - i)[keep].max(initial=0)),
                             "l2": float(np.linalg.norm(excess)) / moved if moved > 0 else float(excess.any()),
                             "scale": float(np.abs(r).max()), "buffer": k in buffers,
                             "masked": int(noise.sum()), "maskedAbs": float(d[noise].max(initial=0))}
    opt, opt_ref = optimizer_state(method), prefixed("expect/optimizer/")
    for k, ref in opt_ref.items():
        if k not in opt:
            out["missing"].append(f"optimizer/{k}")
            continue
        r, g = np.asarray(ref, dtype=np.float64), np.asarray(opt[k], dtype=np.float64)
        path = k.split("/", 1)[1].rsplit(":", 1)[0]
        keep = ~masks.get(path, np.zeros(r.shape, bool)) if r.ndim > 0 else np.ones((), bool)
        out["optimizer"][k] = {"abs": float(np.abs(r - g)[keep].max(initial=0)), "scale": float(np.abs(r)[keep].max(initial=0))}
    out["extra"] = sorted([k for k in got if k not in expect] + [f"optimizer/{k}" for k in opt if k not in opt_ref])
    return out


def worst(c):
    """How many times over the tolerances the worst tensor is (the test's own checks; > 1 fails)."""
    def over(w):
        if w["abs"] == 0 or w["buffer"]:
            return w["abs"] / ABS
        return max(w["abs"] / ABS, w["abs"] / max(MOVED * w["moved"], ULPS * 2.0**-23 * w["scale"]), w["l2"] / L2)
    return max(over(w) for w in c["weights"].values())


def with_schedules(change):
    """A copy of the compiled graph with ``change(objective_or_module_decl)`` applied."""
    c = copy.deepcopy(COMPILED)
    for o in c["graph"]["method"]["objectives"]:
        change(o)
    for m in c["graph"]["modules"]:
        change(m["decl"])
    return c


def no_weight_decay(d):
    if "optimizer" in d and "weightDecay" in d["optimizer"]:
        d["optimizer"]["weightDecay"] = {"_tag": "Constant", "value": 0.0}


def lr_frozen(d):
    if "optimizer" in d:
        d["optimizer"]["lr"] = {"_tag": "Constant", "value": evaluate(d["optimizer"]["lr"], FIRST / TOTAL)}


def ema_frozen(d):
    if "ema" in d:
        d["ema"]["momentum"] = {"_tag": "Constant", "value": evaluate(d["ema"]["momentum"], 0.0)}


def bn_momentum(method):
    for m in method.modules.modules():
        if isinstance(m, GlobalBatchNorm):
            m.momentum = 0.05


def has_bn(method):
    return any(isinstance(m, GlobalBatchNorm) for m in method.modules.modules())


def batch_norm_vs_torch():
    """Largest difference of GlobalBatchNorm from ``nn.BatchNorm1d`` (outputs and running
    statistics after two training batches, then an eval batch)."""
    g = torch.Generator().manual_seed(0)
    ours, theirs = GlobalBatchNorm(16), torch.nn.BatchNorm1d(16)
    diff = 0.0
    for train in (True, True, False):
        ours.train(train)
        theirs.train(train)
        x = torch.randn(8, 16, generator=g) * 3 + 1
        with torch.no_grad():
            diff = max(diff, float((ours(x) - theirs(x)).abs().max()))
    for a, b in (("running_mean", "running_mean"), ("running_var", "running_var")):
        diff = max(diff, float((getattr(ours, a) - getattr(theirs, b)).abs().max()))
    return diff


method, logs, grads = replay(COMPILED)
masks = noise_masks(grads)
report = compare(method, masks)
report["noise"] = {"masked": int(sum(masks[k].sum() for k in grads[0])), "elements": int(sum(masks[k].size for k in grads[0]))}
report["steps"] = [{"terms": m["terms"], "lr": m["lr"], "ema": m["ema"]} for m in logs]
mutants = {
    "no weight decay": replay(with_schedules(no_weight_decay)),
    "lr frozen at the first step": replay(with_schedules(lr_frozen)),
    "EMA momentum frozen at its start": replay(with_schedules(ema_frozen)),
}
if has_bn(method):
    mutants["BatchNorm momentum 0.05"] = replay(COMPILED, bn_momentum)
report["mutants"] = {k: worst(compare(m[0], masks)) for k, m in mutants.items()}
report["batchNormVsTorch"] = batch_norm_vs_torch()
print(json.dumps(report))
