"""A checked tessera graph as a PyTorch training step.

``Method(compiled, seed)`` builds one ``nn.Module`` per IR module (EMA modules start as copies of
their source), one optimizer per objective and, per objective, an ``Objective`` module whose
forward computes the objective's weighted loss from the graph; under ``torchrun`` it is wrapped
in ``DistributedDataParallel`` (gradients averaged over processes). ``compiled`` is the JSON
``tessera compile --target torch`` writes: ``{"graph": ..., "plan": [...]}`` where the plan is
``compiler/passes/plan.ts``'s (per objective: nodes computed without gradient first, then the
taped ones, then the EMA modules to update: those of the modules it optimizes and those whose
``EmaSpec.alsoAfter`` names it). A term with ``adaptive`` has a weight that is state of the run
(``AdaptiveWeights``, saved in checkpoints as ``adaptive/<objective>.<term>``)."""
import copy
import zlib

import numpy as np
import torch
from torch import nn

from . import distributed as D
from .augment import apply_pipeline
from .convs import commit_buffers
from .draws import Draws, Replay
from .memory import MemoryState
from .layers import gather_tokens
from .losses import LossState, lower_loss
from .masks import multi_block, token_mask
from .nets import batch_norms, build_net, sub_net
from . import layouts, optim
from .schedule import evaluate


def phase_at(phases, step):
    cycle = sum(p["steps"] for p in phases)
    if not phases or cycle <= 0:
        return None
    at = step % cycle
    for p in phases:
        if at < p["steps"]:
            return p["name"]
        at -= p["steps"]
    return None


def is_active(o, phase, step):
    return ((not o["phases"] or (phase is not None and phase in o["phases"])) and step >= o["offset"]
            and (step - o["offset"]) % max(1, o["every"]) == 0)


class Context:
    """What evaluating nodes needs: the step, progress, local/global batch geometry, the seed."""

    def __init__(self, method, images, step, progress, total, offset, fixed=None, paired=None):
        self.method, self.images, self.step, self.progress = method, images, step, progress
        self.total, self.offset, self.fixed, self.paired = total, offset, fixed or {}, paired

    def input(self, name):
        """The ``Input`` ``images``, or ``pairedImages``: the other pseudo-domain fold's batch."""
        if name == "images":
            return self.images
        if self.paired is None:
            raise ValueError("this step reads pairedImages but was given no paired batch (step(..., paired=...))")
        return self.paired

    def rng(self, key):
        """The NumPy generator of one random node at this step (same on every process)."""
        return np.random.default_rng([self.method.seed, self.step, zlib.crc32(key.encode())])


def _apply(ctx, expr, inputs, groups=1):
    m = sub_net(ctx.method.modules[expr["module"]], expr["path"])
    bns = batch_norms(m)
    for bn in bns:
        bn.groups = groups
    try:
        extra = {k: v for k, v in inputs.items() if k != "x"}
        return m(inputs["x"], **extra) if "x" in inputs else m(**extra)
    finally:
        for bn in bns:
            bn.groups = 1


def _batched(node, inputs, ctx):
    ports = {}
    for key in sorted(inputs, key=lambda k: int(k.split(".")[1])):
        ports.setdefault(key.split(".")[0], []).append(inputs[key])
    groups = len(next(iter(ports.values())))
    out = _apply(ctx, node["expr"], {p: torch.cat(v, 0) for p, v in ports.items()}, groups)

    def split(v):
        return [dict(zip(v, vals)) for vals in zip(*(split(f) for f in v.values()))] if isinstance(v, dict) else list(v.chunk(groups, 0))
    return {str(g): part for g, part in enumerate(split(out))}


def _detach(v):
    return {k: _detach(f) for k, f in v.items()} if isinstance(v, dict) else v.detach()


def derangement(n, rng):
    """A permutation without fixed points (n > 1) as ``compiler/lower/random.ts`` builds it: one
    cycle through a random order, row ``order[k]`` takes row ``order[k + 1]``."""
    order = rng.permutation(n)
    out = np.empty(n, dtype=np.int64)
    out[order] = np.roll(order, -1)
    return out


def _permute(node, inputs, ctx):
    """Another row of the global batch for every row (never itself: a derangement)."""
    x = D.all_gather_cat(inputs["source"])
    order = torch.from_numpy(derangement(ctx.total, ctx.rng(f"permute:{node['expr']['name']}")))
    return x[order][ctx.offset:ctx.offset + inputs["source"].shape[0]]


def _memory(node, inputs, ctx):
    """The memory mixes into the global batch (gathered), so every process holds the same
    memory and a run's draws do not depend on the number of processes; this process's rows back."""
    src = D.all_gather_cat(inputs["source"])
    out = ctx.method.memory.sample(node["expr"], src, Draws(ctx.rng(f"memory:{node['expr']['name']}")))
    return out[ctx.offset:ctx.offset + inputs["source"].shape[0]]


def _fixed_or(make):
    """A random node's rule, unless ``ctx.fixed`` gives its value (tests feed TF.js's draws)."""
    def rule(node, inputs, ctx):
        return ctx.fixed[node["id"]] if node["id"] in ctx.fixed else make(node, inputs, ctx)
    return rule


VALUE_RULES = {
    "Input": lambda n, i, ctx: ctx.input(n["expr"]["name"]),
    "View": _fixed_or(lambda n, i, ctx: apply_pipeline(i["source"], n["expr"]["pipeline"], ctx.rng(f"view:{n['expr']['name']}"), ctx.offset, ctx.total)),
    "Apply": lambda n, i, ctx: _apply(ctx, n["expr"], i),
    "Fn": lambda n, i, ctx: build_net(n["expr"]["net"])(i["x"], **{k: v for k, v in i.items() if k != "x"}),
    "FieldOf": lambda n, i, ctx: i["source"][n["expr"]["name"]],
    "StopGradient": lambda n, i, ctx: _detach(i["source"]),
    "Masks": _fixed_or(lambda n, i, ctx: multi_block(n["expr"]["spec"], ctx.total, ctx.rng(f"masks:{n['expr']['name']}"), ctx.offset, ctx.images.shape[0])),
    "TokenMask": _fixed_or(lambda n, i, ctx: token_mask(n["expr"], ctx.total, ctx.rng(f"tokenMask:{n['expr']['name']}"), ctx.offset, ctx.images.shape[0])),
    "Gather": lambda n, i, ctx: gather_tokens(i["source"], i["index"]),
    "Permute": _fixed_or(_permute),
    "Concat": lambda n, i, ctx: torch.cat([i[k] for k in sorted(i, key=int)], 0),
    "Batched": _batched,
    "Memory": _memory,
}
VALUE_MISSING = ()


def evaluate_nodes(ids, values, ctx):
    """Evaluates graph nodes ``ids`` in order into ``values``."""
    for nid in ids:
        node = ctx.method.nodes[nid]
        inputs = {port: values[child] for port, child in node["inputs"].items()}
        op = node["op"]
        if op == "Loss":
            values[nid] = lower_loss(node["expr"], inputs, LossContext(ctx, nid))
        elif op in VALUE_RULES:
            values[nid] = VALUE_RULES[op](node, inputs, ctx)
        else:
            raise NotImplementedError(f"torch target: no rule for value {op!r} (node {nid}, listed in VALUE_MISSING)")


class LossContext:
    """What a loss rule reads besides its inputs: progress, step, its term (node id), the loss
    state, the modules by name (R1, SpadeGate) and its random draws (``Draws`` from the node's
    seeded stream, or the ``Replay`` of TF.js's draws that ``ctx.fixed[term]`` holds in tests)."""

    def __init__(self, ctx, term):
        self.progress, self.step, self.term, self.state = ctx.progress, ctx.step, term, ctx.method.loss_state
        self.module = lambda name: ctx.method.modules[name]
        fixed = ctx.fixed.get(term)
        self.draws = Replay(**fixed) if isinstance(fixed, dict) else Draws(ctx.rng(f"loss:{term}"))


class AdaptiveWeights:
    """The adaptive term weights of a method (``runtime/adaptiveWeights.ts``; ST-STORM's
    lambda_styB): one float32 scalar per term with ``adaptive``, keyed ``<objective>.<term>``,
    starting at the term's ``Constant`` weight, read by the objective's step and, after a step
    where the term ran and ``step % every == 0``, set to ``clip(w (1 + rate (d - target) /
    target), min, max)`` with ``d`` the term's unweighted value in that step (float32, as TF.js)."""

    def __init__(self, plans):
        self.values, self.specs = {}, {}
        for plan in plans:
            for t in plan["terms"]:
                if "adaptive" not in t:
                    continue
                key = f"{plan['objective']}.{t['name']}"
                if t["weight"].get("_tag") != "Constant":
                    raise ValueError(f"adaptive term {key}: its start weight must be a Constant")
                self.values[key] = torch.tensor(float(t["weight"]["value"]), dtype=torch.float32)
                self.specs[key] = t["adaptive"]

    def of(self, plan):
        """The current weights of ``plan``'s adaptive terms, by term name."""
        return {t["name"]: self.values[k] for t in plan["terms"]
                if (k := f"{plan['objective']}.{t['name']}") in self.values}

    def update(self, plan, step, values):
        """After ``plan`` ran at ``step`` with unweighted term values ``values`` (floats, by name)."""
        for t in plan["terms"]:
            key = f"{plan['objective']}.{t['name']}"
            a = self.specs.get(key)
            if a is None or t["name"] not in values or step % a["every"] != 0:
                continue
            d = torch.tensor(values[t["name"]], dtype=torch.float32)
            scale = 1 + torch.tensor(a["rate"] / a["target"], dtype=torch.float32) * (d - torch.tensor(a["target"], dtype=torch.float32))
            self.values[key] = (self.values[key] * scale).clamp(a["min"], a["max"])

    def snapshot(self):
        """``adaptive/<objective>.<term>`` -> 0-d float32 arrays (checkpoint entries)."""
        return {f"{ADAPTIVE}{k}": v.numpy().copy() for k, v in self.values.items()}

    def restore(self, tensors):
        """The inverse of ``snapshot`` (keys without the ``adaptive/`` prefix are ignored); a
        saved weight this method has no adaptive term for is an error."""
        for full, v in tensors.items():
            if not full.startswith(ADAPTIVE):
                continue
            key = full[len(ADAPTIVE):]
            if key not in self.values:
                raise KeyError(f"checkpoint: adaptive weight {key!r} has no adaptive term in this spec")
            self.values[key] = torch.as_tensor(np.asarray(v), dtype=torch.float32).reshape(()).clone()


ADAPTIVE = "adaptive/"


class Objective(nn.Module):
    """One objective's differentiable part: the taped nodes and the weighted sum of its terms.
    Its submodules are the modules it optimizes (what DDP synchronises)."""

    def __init__(self, method, plan):
        super().__init__()
        self.trainable = nn.ModuleDict({name: method.modules[name] for name in plan["modules"]})
        self.plan = plan

    def forward(self, values, ctx):
        evaluate_nodes(self.plan["taped"], values, ctx)
        terms = {t["name"]: values[t["node"]] for t in self.plan["terms"]}
        weights = ctx.method.adaptive.of(self.plan)
        total = sum(terms[t["name"]] * weights.get(t["name"], evaluate(t["weight"], ctx.progress))
                    for t in self.plan["terms"])
        return total, terms


class Method:
    """Modules, optimizers and the training step of a compiled graph."""

    def __init__(self, compiled, seed=0, distributed=None):
        self.graph, self.plans, self.seed = compiled["graph"], compiled["plan"], seed
        self.nodes = {n["id"]: n for n in self.graph["nodes"]}
        torch.manual_seed(seed)
        self.modules = nn.ModuleDict()
        decls = {m["decl"]["name"]: m for m in self.graph["modules"]}
        for name, info in decls.items():
            if "ema" not in info["decl"]:
                self.modules[name] = build_net(info["decl"]["net"])
        for name, info in decls.items():
            if "ema" in info["decl"]:
                self.modules[name] = copy.deepcopy(self.modules[info["decl"]["ema"]["source"]]).requires_grad_(False)
        self._freeze(decls)
        self.loss_state = LossState(torch.Generator().manual_seed(seed))
        self.memory = MemoryState()
        self.adaptive = AdaptiveWeights(self.plans)
        self.objectives = {p["objective"]: Objective(self, p) for p in self.plans}
        use_ddp = D.active() if distributed is None else distributed
        self.runners = {k: (nn.parallel.DistributedDataParallel(o, broadcast_buffers=False) if use_ddp else o)
                        for k, o in self.objectives.items()}
        self.optimizers = {p["objective"]: self._optimizer(p, decls) for p in self.plans}
        self.by_name = {o["name"]: o for o in self.graph["method"]["objectives"]}

    def _freeze(self, decls):
        for name, info in decls.items():
            for key, path, _ in layouts.names(self.modules[name]):
                if any(path.startswith(f) for f in info["decl"].get("frozen", [])):
                    self.modules[name].get_parameter(key).requires_grad_(False)

    def _optimizer(self, plan, decls):
        spec = next(o for o in self.graph["method"]["objectives"] if o["name"] == plan["objective"])["optimizer"]
        decayed, plain = [], []
        for name in plan["modules"]:
            flags = {p["path"]: p["decay"] for p in decls[name].get("params", [])}
            params = dict(self.modules[name].named_parameters())
            for key, path, _ in layouts.names(self.modules[name]):
                p = params.get(key)
                if p is not None and p.requires_grad:
                    (decayed if flags.get(path, p.ndim > 1) else plain).append(p)
        return optim.make(spec, decayed, plain)

    def step(self, images, step, total_steps, total=None, offset=0, fixed=None, paired=None):
        """One training step on the local images ``[b, C, H, W]`` (rows ``offset ..`` of a global
        batch of ``total``). Returns ``{"terms", "lr", "ema", "phase", "loss"}`` averaged over
        processes. ``fixed``: node id -> value for random nodes (tests feed TF.js's views).
        ``paired``: the local rows of the other fold's batch, for a graph reading ``pairedImages``."""
        self.modules.train()
        phase = phase_at(self.graph["method"]["phases"], step)
        progress = step / total_steps if total_steps > 0 else 0.0
        ctx = Context(self, images, step, progress, total or images.shape[0], offset, fixed, paired)
        out = {"terms": {}, "lr": {}, "ema": {}, "phase": phase}
        for plan in self.plans:
            name = plan["objective"]
            if not is_active(self.by_name[name], phase, step):
                continue
            total_loss, terms = self._forward(plan, ctx)
            opt = self.optimizers[name]
            opt.zero_grad(set_to_none=True)
            total_loss.backward()
            out["lr"][name] = optim.set_hyper(opt, self.by_name[name]["optimizer"], progress)
            opt.step()
            commit_buffers(self.modules)
            mean = {t: D.mean_over_processes(v.item()) for t, v in terms.items()}
            self.adaptive.update(plan, step, mean)  # the global batch's values: one weight on every process
            for t, v in mean.items():
                out["terms"][t if t not in out["terms"] else f"{name}/{t}"] = v
            for ema in plan["emaAfter"]:
                out["ema"][ema] = self._ema(ema, progress)
        self.loss_state.after_step()
        self.memory.after_step()
        out["loss"] = sum(out["terms"].values())
        return out

    def _forward(self, plan, ctx):
        values = {}
        with torch.no_grad():
            evaluate_nodes(plan["constant"], values, ctx)
        return self.runners[plan["objective"]](values, ctx)

    def gradients(self, objective, images, step, total_steps, fixed=None, total=None, offset=0, paired=None):
        """Loss terms (averaged over processes) and gradients (``<module>/<path>`` in tessera's
        layout; under DDP averaged as the optimizer sees them) of one objective at ``step`` on the
        local ``images`` (rows ``offset ..`` of a global batch of ``total``), without updating
        anything but BatchNorm statistics and memories' pending batches. For equivalence tests."""
        self.modules.train()
        plan = next(p for p in self.plans if p["objective"] == objective)
        progress = step / total_steps if total_steps > 0 else 0.0
        ctx = Context(self, images, step, progress, total or images.shape[0], offset, fixed, paired)
        for p in self.modules.parameters():
            p.grad = None
        total, terms = self._forward(plan, ctx)
        total.backward()
        grads = {}
        for name in plan["modules"]:
            params = dict(self.modules[name].named_parameters())
            for key, path, kind in layouts.names(self.modules[name]):
                p = params.get(key)
                if p is not None and p.grad is not None:
                    grads[f"{name}/{path}"] = layouts.to_tessera(p.grad, kind)
        return {k: D.mean_over_processes(float(v)) for k, v in terms.items()}, grads

    @torch.no_grad()
    def _ema(self, target, progress):
        decl = next(m["decl"] for m in self.graph["modules"] if m["decl"]["name"] == target)
        m = evaluate(decl["ema"]["momentum"], progress)
        src = dict(self.modules[decl["ema"]["source"]].named_parameters())
        for key, p in self.modules[target].named_parameters():
            p.mul_(m).add_(src[key].detach(), alpha=1 - m)
        return m

    @torch.no_grad()
    def embed(self, representation, images):
        """Features ``[n, d]`` of a named representation in inference mode."""
        rep = next((r for r in self.graph["representations"] if r["name"] == representation), None)
        if rep is None:
            known = ", ".join(r["name"] for r in self.graph["representations"])
            raise KeyError(f"unknown representation {representation!r}; known: {known}")
        self.modules.eval()
        needed, stack = set(), [rep["node"]]
        while stack:
            nid = stack.pop()
            if nid not in needed:
                needed.add(nid)
                stack.extend(self.nodes[nid]["inputs"].values())
        values = {}
        ctx = Context(self, images, 0, 1.0, images.shape[0], 0)
        evaluate_nodes([n["id"] for n in self.graph["nodes"] if n["id"] in needed], values, ctx)
        out = values[rep["node"]]
        if out.dim() == 4:  # images flatten in tessera's NHWC order
            out = out.permute(0, 2, 3, 1)
        return out if out.dim() == 2 else out.reshape(out.shape[0], -1)
