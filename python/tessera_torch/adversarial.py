"""ST-STORM's adversarial losses as ``compiler/lower/losses/adversarial.ts`` computes them: the
LSGAN sides, the R1 penalty (a gradient of the discriminator inside the loss, differentiated
again: ``create_graph=True``) on its cadence, and the SPADE gate regulariser on a module's
``gates`` parameters. Each rule is ``(node, inputs, ctx) -> scalar``."""
import torch
import torch.nn.functional as F

from . import layouts


def lsgan_generator(node, inputs, ctx):
    """``mean((D(fake) - 1)^2)``."""
    return ((inputs["fake"] - 1) ** 2).mean()


def lsgan_discriminator(node, inputs, ctx):
    """``mean((D(real) - 1)^2) + mean(D(fake)^2)``."""
    return ((inputs["real"] - 1) ** 2).mean() + (inputs["fake"] ** 2).mean()


def r1(node, inputs, ctx):
    """``0.5 gamma mean_b |grad_x sum D(x)|^2`` on real images when ``step % every == 0``
    (0 otherwise, not rescaled by ``every``, as RT-STORM)."""
    if node["every"] > 1 and ctx.step % node["every"] != 0:
        return inputs["real"].new_zeros(())
    real = inputs["real"].detach().requires_grad_(True)
    logits = ctx.module(node["module"])(real)
    if isinstance(logits, dict):
        raise ValueError(f"R1: module {node['module']!r} returned a struct {{{', '.join(logits)}}}; expected logits")
    (g,) = torch.autograd.grad(logits.sum(), real, create_graph=True)
    return 0.5 * node["gamma"] * g.pow(2).flatten(1).sum(1).mean()


def spade_gates(module):
    """``[(tessera path, parameter)]`` of every SPADE gate vector (paths ``gates`` / ``*.gates``), by path."""
    params = dict(module.named_parameters())
    found = [(path, params[key]) for key, path, _ in layouts.names(module)
             if key in params and (path == "gates" or path.endswith(".gates"))]
    return sorted(found, key=lambda kv: kv[0])


def spade_gate(node, inputs, ctx):
    """``mean_layers relu(margin softplus(a_gamma_s) - softplus(a_gamma_g))``."""
    gates = spade_gates(ctx.module(node["module"]))
    if not gates:
        raise ValueError(f"SpadeGate: module {node['module']!r} has no SPADE gate parameters (paths ending in '.gates')\n"
                         "hint: apply the regulariser to a module containing SpadeResBlocks")
    terms = [F.relu(node["margin"] * F.softplus(g[0]) - F.softplus(g[1])) for _, g in gates]
    return torch.stack(terms).mean()


ADVERSARIAL_RULES = {
    "LsganGenerator": lsgan_generator, "LsganDiscriminator": lsgan_discriminator, "R1": r1, "SpadeGate": spade_gate,
}
