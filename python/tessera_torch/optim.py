"""Optimizer rules (``compiler/ir/optim.ts``, ``runtime/optim``): ``torch.optim`` optimizers with
two parameter groups (weight decay / no weight decay by tessera's ``decay`` flag), whose ``lr``
and ``weight_decay`` are set from the schedules before every step; LARS as in MoCo v3."""
import torch

from .schedule import evaluate


class Lars(torch.optim.Optimizer):
    """MoCo v3 ``moco/optimizer.py`` LARS: for ndim > 1, ``u = g + wd p`` scaled by
    ``trust |p| / |u|`` (1 when a norm is 0); ndim <= 1 use ``g``. ``mu = m mu + u``, ``p -= lr mu``."""

    def __init__(self, params, lr, momentum, weight_decay, trust):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, trust=trust))

    @torch.no_grad()
    def step(self):
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is None:
                    continue
                u = p.grad
                if p.ndim > 1:
                    u = u.add(p, alpha=g["weight_decay"])
                    pn, un = p.norm(), u.norm()
                    ratio = torch.where((pn > 0) & (un > 0), g["trust"] * pn / un, torch.ones_like(pn))
                    u = u * ratio
                mu = self.state[p].setdefault("mu", torch.zeros_like(p))
                mu.mul_(g["momentum"]).add_(u)
                p.add_(mu, alpha=-g["lr"])


def make(spec, decayed, plain):
    """The optimizer of an objective: ``decayed``/``plain`` parameter lists."""
    tag = spec["_tag"]
    if tag == "AdamW" and spec["decayAll"]:
        decayed, plain = decayed + plain, []
    groups = [{"params": decayed, "decay": True}, {"params": plain, "decay": False}]
    groups = [g for g in groups if g["params"]]
    if tag == "AdamW":
        return torch.optim.AdamW(groups, lr=0.0, betas=tuple(spec["betas"]), eps=spec["eps"])
    if tag == "Adam":
        return torch.optim.Adam(groups, lr=0.0, betas=tuple(spec["betas"]), eps=spec["eps"])
    if tag == "Sgd":
        return torch.optim.SGD(groups, lr=0.0, momentum=spec["momentum"], nesterov=spec["nesterov"])
    if tag == "Lars":
        # LARS decides decay by ndim, not by group
        return Lars([p for g in groups for p in g["params"]], lr=0.0, momentum=spec["momentum"], weight_decay=0.0, trust=spec["trust"])
    raise ValueError(f"unknown optimizer {tag!r}")


def set_hyper(opt, spec, progress):
    """Sets this step's learning rate and weight decay; returns the learning rate."""
    lr = evaluate(spec["lr"], progress)
    wd = evaluate(spec["weightDecay"], progress) if "weightDecay" in spec else 0.0
    for g in opt.param_groups:
        g["lr"] = lr
        g["weight_decay"] = wd if (g.get("decay", True) or spec["_tag"] == "Lars") else 0.0
    return lr


# torch state names <-> tessera slot names (runtime/optim): state saved as `<objective>/<param>:<slot>`
SLOTS = {"exp_avg": "m", "exp_avg_sq": "v", "momentum_buffer": "buf", "mu": "mu", "step": "step"}
OPTIMIZER_TAGS = ("AdamW", "Adam", "Lars", "Sgd")
