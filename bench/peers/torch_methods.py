"""The MoCo v3 and I-JEPA training steps of the PyTorch peer (see torch_step.py), written as a
PyTorch user writes them: forward, loss, `loss.backward()`, `torch.optim.AdamW.step()`, then the
EMA update of the momentum / target encoder under `torch.no_grad()`. Semantics follow tessera's
compiled step: BatchNorm over the whole batch, InfoNCE over the whole batch, loss read back.
"""
import copy

import torch
import torch.nn.functional as F

from torch_nets import ViT, Predictor, mlp, trainable_count


def _frozen_copy(module):
    target = copy.deepcopy(module)
    target.requires_grad_(False)
    return target


def _ema(target, source, m):
    with torch.no_grad():
        for pt, ps in zip(target.parameters(), source.parameters()):
            pt.mul_(m).add_(ps, alpha=1 - m)


def _adamw(modules, hyper):
    """AdamW over the trainable parameters; without `decayAll`, biases and 1-D params are not decayed."""
    params = [p for m in modules for p in m.parameters() if p.requires_grad]
    if hyper["decayAll"]:
        groups = [{"params": params, "weight_decay": hyper["weightDecay"]}]
    else:
        groups = [
            {"params": [p for p in params if p.ndim > 1], "weight_decay": hyper["weightDecay"]},
            {"params": [p for p in params if p.ndim <= 1], "weight_decay": 0.0},
        ]
    return torch.optim.AdamW(groups, lr=hyper["lr"])


def _views(config, count):
    size = config["image"]
    return [torch.rand(config["batch"], 3, size, size) for _ in range(count)]


class MocoV3:
    """q = predictor(projector(backbone(v))), k = momentum branch; ctr(q1, k2) + ctr(q2, k1)."""

    def __init__(self, config):
        nets, self.hyper = config["nets"], config["hyper"]
        self.backbone = ViT(nets["backbone"])
        self.projector = mlp(nets["projector"])
        self.predictor = mlp(nets["predictor"])
        self.m_backbone = _frozen_copy(self.backbone)
        self.m_projector = _frozen_copy(self.projector)
        self.opt = _adamw([self.backbone, self.projector, self.predictor], self.hyper)
        self.v1, self.v2 = _views(config, 2)

    def param_count(self):
        return trainable_count(self.backbone, self.projector, self.predictor)

    def set_masks(self, masks):
        pass

    def _ctr(self, q, k):
        tau = self.hyper["temperature"]
        logits = F.normalize(q, dim=1) @ F.normalize(k, dim=1).t() / tau
        labels = torch.arange(logits.shape[0])
        return F.cross_entropy(logits, labels) * (2 * tau)

    def _query(self, v):
        return self.predictor(self.projector(self.backbone(v)))

    def _key(self, v):
        return self.m_projector(self.m_backbone(v))

    def forward_only(self):
        k1, k2 = self._key(self.v1), self._key(self.v2)
        return self._ctr(self._query(self.v1), k2) + self._ctr(self._query(self.v2), k1)

    def step(self):
        with torch.no_grad():
            k1, k2 = self._key(self.v1), self._key(self.v2)
        loss = self._ctr(self._query(self.v1), k2) + self._ctr(self._query(self.v2), k1)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        m = self.hyper["momentum"]
        _ema(self.m_backbone, self.backbone, m)
        _ema(self.m_projector, self.projector, m)
        return loss.item()


class Ijepa:
    """z = predictor(encoder(view, context), context, targets); smooth-L1 to LN(target(view)) at targets."""

    def __init__(self, config):
        nets, self.hyper = config["nets"], config["hyper"]
        self.encoder = ViT(nets["encoder"])
        self.predictor = Predictor(nets["predictor"])
        self.target = _frozen_copy(self.encoder)
        self.opt = _adamw([self.encoder, self.predictor], self.hyper)
        (self.view,) = _views(config, 1)
        self.dim = nets["encoder"]["dim"]
        self.set_masks(config.get("masks"))

    def param_count(self):
        return trainable_count(self.encoder, self.predictor)

    def set_masks(self, masks):
        """`{"context": [B*Kc], "contextShape": [B, Kc], "targets": [T*B*Kt], "targetsShape": [T, B, Kt]}`."""
        if masks is None:
            return
        self.context = torch.tensor(masks["context"], dtype=torch.int64).reshape(masks["contextShape"])
        self.targets = torch.tensor(masks["targets"], dtype=torch.int64).reshape(masks["targetsShape"])

    def _targets(self):
        t, b, kt = self.targets.shape
        h = F.layer_norm(self.target(self.view), (self.dim,)).repeat(t, 1, 1)
        index = self.targets.reshape(t * b, kt).unsqueeze(-1).expand(-1, -1, self.dim)
        return torch.gather(h, 1, index)

    def _predict(self):
        return self.predictor(self.encoder(self.view, keep=self.context), self.context, self.targets)

    def forward_only(self):
        return self._targets(), self._predict()

    def step(self):
        with torch.no_grad():
            h = self._targets()
        loss = F.smooth_l1_loss(self._predict(), h, beta=self.hyper["beta"])
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        _ema(self.target, self.encoder, self.hyper["momentum"])
        return loss.item()


def make_method(config):
    """The peer step of `config["method"]` (`moco-v3` or `i-jepa`)."""
    kinds = {"moco-v3": MocoV3, "i-jepa": Ijepa}
    if config["method"] not in kinds:
        raise ValueError(f"torch peer: no PyTorch step written for {config['method']!r} (written: {', '.join(kinds)})")
    return kinds[config["method"]](config)
