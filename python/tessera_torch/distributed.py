"""Process-group helpers: which process this is, and the collectives the rules need.

With one process (no ``torch.distributed`` group) every helper is the identity, so the same
rules run under ``python train.py`` and ``torchrun --nproc_per_node=N train.py``.
"""
import torch
import torch.distributed as dist


def active():
    """True inside an initialised process group of more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank():
    return dist.get_rank() if active() else 0


def world():
    return dist.get_world_size() if active() else 1


class _AllSum(torch.autograd.Function):
    """Sum over processes; backward: the sum of every process's gradient (the total loss is the
    sum of the per-process losses)."""

    @staticmethod
    def forward(ctx, x):
        y = x.clone()
        dist.all_reduce(y)
        return y

    @staticmethod
    def backward(ctx, g):
        g = g.clone()
        dist.all_reduce(g)
        return g


class _GatherCat(torch.autograd.Function):
    """Concatenation along dim 0 over processes; backward: this process's slice of the summed
    gradient (all-reduce + slice: gloo has no reduce-scatter)."""

    @staticmethod
    def forward(ctx, x):
        x = x.contiguous()
        parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, x)
        ctx.n = x.shape[0]
        return torch.cat(parts, 0)

    @staticmethod
    def backward(ctx, g):
        g = g.contiguous().clone()
        dist.all_reduce(g)
        r = dist.get_rank()
        return g[r * ctx.n:(r + 1) * ctx.n]


def all_sum(x):
    """Sum over processes, differentiable."""
    return _AllSum.apply(x) if active() else x


def all_gather_cat(x):
    """Concatenation along dim 0 of ``x`` from every process, in rank order, differentiable."""
    return _GatherCat.apply(x) if active() else x


def mean_over_processes(value):
    """A Python float averaged over processes (for logging the global loss)."""
    if not active():
        return float(value)
    t = torch.tensor([float(value)], dtype=torch.float64)
    dist.all_reduce(t)
    return float(t.item()) / world()
