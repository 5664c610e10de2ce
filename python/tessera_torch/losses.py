"""Loss rules: one function per tessera ``LossNode`` tag (``compiler/lower/losses``), each
``(node, inputs, ctx) -> scalar``. Under DDP each process holds a shard of the global batch;
losses coupled across the batch see the global batch, as the reference code does: InfoNCE
gathers the keys of every process (MoCo v3 ``concat_all_gather``), the VICReg terms gather
their samples, InfoNCEQueue enqueues the keys of every process into one queue."""
import torch
import torch.nn.functional as F

from . import distributed as D
from .adversarial import ADVERSARIAL_RULES
from .texture import TEXTURE_RULES
from .schedule import evaluate


def _pair(inputs, tag):
    p, t = inputs["pred"], inputs["target"]
    if p.shape != t.shape:
        raise ValueError(f"{tag}: pred {list(p.shape)} and target {list(t.shape)} differ in shape")
    return p, t


def info_nce(node, inputs, ctx):
    """MoCo v3 ``CE(norm(q) norm(k_all)^T / tau, labels = own rows)``, times ``2 tau`` for ``twoTau``."""
    tau = evaluate(node["temperature"], ctx.progress)
    q = F.normalize(inputs["query"], dim=1)
    k = D.all_gather_cat(F.normalize(inputs["key"], dim=1))
    labels = torch.arange(q.shape[0]) + q.shape[0] * D.rank()
    ce = F.cross_entropy(q @ k.t() / tau, labels)
    return ce * (2 * tau) if node["scale"] == "twoTau" else ce


def info_nce_queue(node, inputs, ctx):
    """MoCo v2 ``CE([q k+, q Q] / tau, 0)``; the queue ``[D, K]`` is one for all processes (keys of
    every process enqueued after the step, newest first)."""
    tau = evaluate(node["temperature"], ctx.progress)
    q = F.normalize(inputs["query"], dim=1)
    k = F.normalize(inputs["key"], dim=1)
    queue = ctx.state.queue(ctx.term, q.shape[1], node["queueSize"])
    ctx.state.defer(ctx.term, D.all_gather_cat(k.detach()))
    pos = (q * k).sum(1, keepdim=True) / tau
    logits = torch.cat([pos, q @ queue / tau], 1)
    return F.cross_entropy(logits, torch.zeros(q.shape[0], dtype=torch.long))


def smooth_l1(node, inputs, ctx):
    p, t = _pair(inputs, "SmoothL1")
    beta = node["beta"]
    return (p - t).abs().mean() if beta <= 0 else F.smooth_l1_loss(p, t, beta=beta)


def l1(node, inputs, ctx):
    p, t = _pair(inputs, "L1")
    return (p - t).abs().mean()


def l2(node, inputs, ctx):
    p, t = _pair(inputs, "L2")
    return ((p - t) ** 2).mean()


def token_l1(node, inputs, ctx):
    p, t = _pair(inputs, "TokenL1")
    d = (p - t).abs()
    return d[:, :1].mean() + (d[:, 1:].mean() if d.shape[1] > 1 else 0)


def masked_token_l2(node, inputs, ctx):
    p, t = _pair(inputs, "MaskedTokenL2")
    mask = inputs["mask"].float()
    y = t / (t.norm(dim=2, keepdim=True) + 1e-6)
    per_token = ((p - y) ** 2).mean(2) * torch.tensor(node["weights"], dtype=p.dtype)
    # sums over the global batch: the masked count differs between processes
    return D.all_sum((per_token * mask).sum()) / D.all_sum(mask.sum()).clamp_min(1e-12)


def _samples(inputs, tag):
    x = inputs["x"]
    z = D.all_gather_cat(x.reshape(-1, x.shape[-1]))
    if z.shape[0] < 2:
        raise ValueError(f"{tag}: needs at least 2 samples, got {z.shape[0]}")
    return z


def vicreg_variance(node, inputs, ctx):
    z = _samples(inputs, "VicregVariance")
    return F.relu(node["gamma"] - torch.sqrt(z.var(0, unbiased=True) + node["eps"])).mean()


def vicreg_covariance(node, inputs, ctx):
    z = _samples(inputs, "VicregCovariance")
    n, d = z.shape
    zc = z - z.mean(0, keepdim=True)
    cov = zc.t() @ zc / (n - 1)
    off = cov * (1 - torch.eye(d))
    return (off ** 2).sum() / d


# Loss kinds without a torch rule yet.
LOSS_MISSING = ()

LOSS_RULES = {
    "InfoNCE": info_nce, "InfoNCEQueue": info_nce_queue, "SmoothL1": smooth_l1, "L2": l2, "L1": l1,
    "TokenL1": token_l1, "MaskedTokenL2": masked_token_l2, "VicregVariance": vicreg_variance,
    "VicregCovariance": vicreg_covariance, **ADVERSARIAL_RULES, **TEXTURE_RULES,
}


class LossState:
    """InfoNCEQueue key queues ``[D, K]`` by term, created as random unit columns on first use;
    keys recorded during the step are enqueued by ``after_step()`` (after the optimizer step)."""

    def __init__(self, generator):
        self.queues, self.pending, self.generator = {}, {}, generator

    def queue(self, key, dim, size):
        if key not in self.queues:
            m = torch.randn(dim, size, generator=self.generator)
            self.queues[key] = m / m.norm(dim=0, keepdim=True).clamp_min(1e-12)
        return self.queues[key]

    def defer(self, key, keys):
        self.pending[key] = keys

    def after_step(self):
        for key, keys in self.pending.items():
            q = self.queues[key]
            fresh = F.normalize(keys, dim=1).t()
            b = min(fresh.shape[1], q.shape[1])
            self.queues[key] = torch.cat([fresh[:, :b], q[:, :q.shape[1] - b]], 1)
        self.pending = {}


def lower_loss(node, inputs, ctx):
    tag = node["_tag"]
    rule = LOSS_RULES.get(tag)
    if rule is None:
        raise NotImplementedError(f"torch target: no rule for loss {tag!r} (listed in LOSS_MISSING); train this spec with `tessera train` (TF.js)")
    return rule(node, inputs, ctx)
