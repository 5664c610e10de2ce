"""The run folder as ``tessera train`` writes it (``runtime/train.ts``, ``runtime/checkpoint``,
``runtime/runInfo.ts``), so ``tessera eval | report | export --run RUN`` read a torch run:
``spec.json``, ``spec.sha256``, ``run.json``, ``metrics.jsonl`` and
``checkpoints/step-NNNNNN.{safetensors,json}`` + ``latest.json`` (atomic writes), with weights as
``weights/<module>/<path>`` in tessera's layouts and optimizer state as
``optimizer/<objective>/<module>/<path>:<slot>`` (adaptive term weights as
``optimizer/adaptive/<objective>.<term>``)."""
import datetime
import hashlib
import json
import os
import re

import numpy as np
import torch

from . import layouts, safetensors
from .optim import SLOTS


def write_atomic(path, data):
    """temp + fsync + rename: a crash never leaves a half-written file."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def rng_state(seed):
    """``Rng.seeded(seed).state()`` of ``runtime/rng.ts`` (SplitMix32 seeding), recorded in checkpoints."""
    s = seed & 0xFFFFFFFF
    out = []
    for _ in range(4):
        s = (s + 0x9E3779B9) & 0xFFFFFFFF
        z = s
        z = ((z ^ (z >> 16)) * 0x85EBCA6B) & 0xFFFFFFFF
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) & 0xFFFFFFFF
        out.append((z ^ (z >> 16)) & 0xFFFFFFFF)
    if not any(out):
        out[0] = 1
    return out


def weights(method):
    """Every module's parameters and buffers as ``<module>/<path>`` NumPy arrays in tessera's layout."""
    out = {}
    for name, module in method.modules.items():
        sd = module.state_dict()
        for key, path, kind in layouts.names(module):
            out[f"{name}/{path}"] = layouts.to_tessera(sd[key], kind).contiguous().numpy().astype(np.float32)
    return out


def load_weights(method, tensors, file="weights"):
    """Assigns tessera-layout tensors (``<module>/<path>``) to every module; a missing tensor or
    another shape is an error naming the tensor."""
    for name, module in method.modules.items():
        sd = module.state_dict()
        for key, path, kind in layouts.names(module):
            full = f"{name}/{path}"
            if full not in tensors:
                raise KeyError(f"{file}: no tensor {full!r} (saved by another spec?)")
            t = layouts.from_tessera(torch.as_tensor(np.asarray(tensors[full])), kind)
            if tuple(t.shape) != tuple(sd[key].shape):
                raise ValueError(f"{file}: tensor {full!r} has shape {list(tensors[full].shape)}, the spec needs another")
            sd[key].copy_(t)


def _optimized(method):
    """``(objective, optimizer, param, name, path, kind)`` of every trainable parameter an
    objective's optimizer updates, in tessera's module paths and layout kinds."""
    for obj, opt in method.optimizers.items():
        for name in method.objectives[obj].plan["modules"]:
            module = method.modules[name]
            params = dict(module.named_parameters())
            for key, path, kind in layouts.names(module):
                p = params.get(key)
                if p is not None and p.requires_grad:
                    yield obj, opt, p, name, path, kind


def optimizer_state(method):
    """Optimizer moments as ``<objective>/<module>/<path>:<slot>`` (tessera's slot names and layouts)."""
    out = {}
    for obj, opt, p, name, path, kind in _optimized(method):
        for slot, v in opt.state.get(p, {}).items():
            t = torch.as_tensor(v, dtype=torch.float32)
            t = layouts.to_tessera(t, kind) if t.dim() > 0 else t
            out[f"{obj}/{name}/{path}:{SLOTS.get(slot, slot)}"] = t.contiguous().numpy()
    return out


LOSS_STATE = "lossState/"
MEMORY = "memory/"


def loss_state(method):
    """The InfoNCE key queues ``[D, K]`` by term, saved as ``optimizer/lossState/<term>`` (TF.js
    keys them by node, so queues are resumed by torch runs only)."""
    return {f"{LOSS_STATE}{k}": q.contiguous().numpy() for k, q in method.loss_state.queues.items()}


def load_optimizer_state(method, tensors, file="checkpoint"):
    """The inverse of ``optimizer_state``, ``loss_state`` and the memory and adaptive-weight
    snapshots: fills each optimizer's state (Adam moments and step count, momentum buffers), the
    key queues, the memories and the adaptive term weights (``optimizer/adaptive/<objective>.<term>``,
    as TF.js's ``optimizerState()`` names them) from ``optimizer/...`` tensors."""
    torch_slot = {v: k for k, v in SLOTS.items()}
    for obj, opt, p, name, path, kind in _optimized(method):
        prefix = f"optimizer/{obj}/{name}/{path}:"
        for full in [k for k in tensors if k.startswith(prefix)]:
            slot = torch_slot.get(full[len(prefix):])
            if slot is None:
                raise KeyError(f"{file}: unknown optimizer slot in {full!r}")
            t = torch.as_tensor(np.asarray(tensors[full]), dtype=torch.float32)
            # the step count is a scalar (saved 0-d or [1]); moments have the parameter's layout
            opt.state[p][slot] = t.reshape(()).clone() if slot == "step" else layouts.from_tessera(t, kind).clone()
    prefix = f"optimizer/{LOSS_STATE}"
    for full in [k for k in tensors if k.startswith(prefix)]:
        method.loss_state.queues[full[len(prefix):]] = torch.as_tensor(np.asarray(tensors[full]), dtype=torch.float32).clone()
    prefix = f"optimizer/{MEMORY}"
    method.memory.restore({k[len("optimizer/"):]: np.asarray(v) for k, v in tensors.items() if k.startswith(prefix)})
    method.adaptive.restore({k[len("optimizer/"):]: v for k, v in tensors.items() if k.startswith("optimizer/adaptive/")})


def save_checkpoint(run_dir, step, method, meta, keep=3):
    """Writes ``checkpoints/step-NNNNNN.*`` and points ``latest.json`` at it; keeps ``keep``."""
    d = os.path.join(run_dir, "checkpoints")
    os.makedirs(d, exist_ok=True)
    tensors = {f"weights/{k}": v for k, v in weights(method).items()}
    tensors.update({f"optimizer/{k}": v for k, v in optimizer_state(method).items()})
    tensors.update({f"optimizer/{k}": v for k, v in loss_state(method).items()})
    tensors.update({f"optimizer/{k}": v for k, v in method.memory.snapshot().items()})
    tensors.update({f"optimizer/{k}": v for k, v in method.adaptive.snapshot().items()})
    data = safetensors.encode(tensors, {"format": "tessera-checkpoint", "step": str(step), "specHash": meta["specHash"]})
    stem = f"step-{step:06d}"
    write_atomic(os.path.join(d, f"{stem}.safetensors"), data)
    record = {**meta, "step": step, "format": "tessera-checkpoint", "version": 1, "file": f"{stem}.safetensors",
              "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
              "savedAt": datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")}
    write_atomic(os.path.join(d, f"{stem}.json"), json.dumps(record, indent=2) + "\n")
    write_atomic(os.path.join(d, "latest.json"), json.dumps({"step": step, "checkpoint": f"{stem}.json"}) + "\n")
    older = sorted((int(m.group(1)) for m in (re.match(r"^step-(\d+)\.json$", f) for f in os.listdir(d)) if m), reverse=True)
    for s in [s for s in older if s < step][max(0, keep - 1):]:
        for ext in ("json", "safetensors"):
            try:
                os.remove(os.path.join(d, f"step-{s:06d}.{ext}"))
            except FileNotFoundError:
                pass


def load_latest(run_dir):
    """``(step, tensors, record)`` of the checkpoint ``latest.json`` points at (sha256 checked)."""
    d = os.path.join(run_dir, "checkpoints")
    with open(os.path.join(d, "latest.json")) as f:
        record_name = json.load(f)["checkpoint"]
    with open(os.path.join(d, record_name)) as f:
        record = json.load(f)
    with open(os.path.join(d, record["file"]), "rb") as f:
        data = f.read()
    if hashlib.sha256(data).hexdigest() != record["sha256"]:
        raise ValueError(f"checkpoint {record['file']}: sha256 differs from the one recorded in {record_name} (truncated or overwritten)")
    tensors, _ = safetensors.decode(data)
    return record["step"], tensors, record


def schedule_names(method_ir):
    """``lr`` with one objective else ``lr/<objective>``; ``ema`` when every EMA follows one schedule."""
    emas = {json.dumps(m["ema"]["momentum"], sort_keys=True) for m in method_ir["modules"] if "ema" in m}
    one_lr = len(method_ir["objectives"]) <= 1
    return (lambda n: "lr" if one_lr else f"lr/{n}"), (lambda n: "ema" if len(emas) <= 1 else f"ema/{n}")


def metrics_line(method_ir, m, step_s, elapsed):
    """One ``metrics.jsonl`` line in ``runtime/train.ts``'s format."""
    lr, ema = schedule_names(method_ir)
    rec = {"step": m["step"], "loss": m["loss"], **{f"loss/{k}": v for k, v in m["terms"].items()},
           **{lr(k): v for k, v in m["lr"].items()}, **{ema(k): v for k, v in m["ema"].items()}}
    if m["phase"] is not None:
        rec["phase"] = m["phase"]
    rec["time"] = round(step_s * 1000) / 1000
    rec["elapsed"] = round(elapsed * 100) / 100
    return json.dumps(rec) + "\n"
