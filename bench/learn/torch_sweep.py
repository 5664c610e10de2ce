"""Recipe search for the `tiny` presets in PyTorch (issue 14), because a tessera step on the shared
2-core machine is 20-50x slower than this loop. NOT tessera: an independent re-implementation of
a MoCo v3-style update (query = predictor(projector(backbone)), key = EMA(projector(backbone)),
symmetric InfoNCE scaled by 2 tau) on the tiny ResNet of `Net.resnetTiny` (3x3 stem 32, basic
blocks 32 / 64 / 128, strides 1 / 2 / 2), AdamW with warmup-cosine, batched augmentations
written here (random resized crop via affine grids, flip, colour jitter in fixed order with hue
as a YIQ rotation, grayscale). Findings are confirmed with tessera itself (bench/learn/sweep.ts)
before they go into a preset; see docs/learning.md.

Data: `npx tsx bench/learn/exportData.ts /tmp/learn` (the built-in appearance images, 32x32).
Usage: /usr/bin/python3 bench/learn/torch_sweep.py --steps 600 --crop 0.3 --jitter 0.8 --hue 0.4 ...
Prints the online kNN (content / appearance) every --eval-every steps and, at the end, the linear
probe with 10% labels, as tessera's eval does; appends a JSON line to --log.
"""
import argparse, json, math, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--data', default='/tmp/learn')
p.add_argument('--steps', type=int, default=600)
p.add_argument('--batch', type=int, default=32)
p.add_argument('--lr', type=float, default=1e-3)
p.add_argument('--wd', type=float, default=0.05)
p.add_argument('--tau', type=float, default=0.2)
p.add_argument('--m0', type=float, default=0.99)
p.add_argument('--crop', type=float, default=0.08)
p.add_argument('--jitter', type=float, default=0.4, help='brightness = contrast = jitter, saturation = sat')
p.add_argument('--sat', type=float, default=0.2)
p.add_argument('--hue', type=float, default=0.1)
p.add_argument('--pj', type=float, default=0.8)
p.add_argument('--gray', type=float, default=0.2)
p.add_argument('--shuffle', type=float, default=0.0, help='probability of a random channel permutation per view')
p.add_argument('--invert', type=float, default=0.0, help='probability of inverting each channel per view')
p.add_argument('--blur', type=float, default=0.0, help='max Gaussian blur sigma in pixels (uniform in [0.1, blur]), view 1 always, view 2 with p 0.1 (BYOL)')
p.add_argument('--zero-init', action='store_true', help='zero-init the last BN of each residual block (torchvision zero_init_residual)')
p.add_argument('--init', default='torch', choices=['torch', 'he'], help="conv init: torch's default (kaiming_uniform a=sqrt 5) or He normal fan-out (torchvision ResNet, tessera)")
p.add_argument('--net', default='resnet', choices=['resnet', 'resnet-s2'])
p.add_argument('--seed', type=int, default=0)
p.add_argument('--eval-every', type=int, default=100)
p.add_argument('--log', default='/tmp/learn/torch_runs.jsonl')
p.add_argument('--tag', default='')
a = p.parse_args()
torch.set_num_threads(1)
torch.manual_seed(a.seed)
np.random.seed(a.seed)

meta = json.load(open(f'{a.data}/labels.json'))
S = meta['size']
load = lambda name, n: torch.from_numpy(np.fromfile(f'{a.data}/{name}.u8', dtype=np.uint8).reshape(n, S, S, 3)).permute(0, 3, 1, 2).float() / 255
xtr = load('train', len(meta['train']['content']))
xev = load('eval', len(meta['eval']['content']))
yev = {k: torch.tensor(v) for k, v in meta['eval'].items()}
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


class Block(nn.Module):
    def __init__(s, cin, cout, stride):
        super().__init__()
        s.c1, s.b1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        s.c2, s.b2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        s.sc = None if stride == 1 and cin == cout else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(s, x):
        h = F.relu(s.b1(s.c1(x)))
        h = s.b2(s.c2(h))
        return F.relu(h + (x if s.sc is None else s.sc(x)))


def resnet_tiny(stem_stride=1):
    return nn.Sequential(nn.Conv2d(3, 32, 3, stem_stride, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
                         Block(32, 32, 1), Block(32, 64, 2), Block(64, 128, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten())


def mlp(i, h, o, last_bn):
    layers = [nn.Linear(i, h, bias=False), nn.BatchNorm1d(h), nn.ReLU(), nn.Linear(h, o, bias=False)]
    return nn.Sequential(*layers, *([nn.BatchNorm1d(o, affine=False)] if last_bn else []))


backbone = resnet_tiny(2 if a.net == 'resnet-s2' else 1)
if a.init == 'he':
    for mod in backbone.modules():
        if isinstance(mod, nn.Conv2d):
            nn.init.kaiming_normal_(mod.weight, mode='fan_out', nonlinearity='relu')
if a.zero_init:
    for mod in backbone.modules():
        if isinstance(mod, Block):
            nn.init.zeros_(mod.b2.weight)
projector = mlp(128, 512, 64, True)
predictor = mlp(64, 512, 64, False)
kb, kp = resnet_tiny(2 if a.net == 'resnet-s2' else 1), mlp(128, 512, 64, True)
kb.load_state_dict(backbone.state_dict()); kp.load_state_dict(projector.state_dict())
for q in list(kb.parameters()) + list(kp.parameters()):
    q.requires_grad_(False)
params = list(backbone.parameters()) + list(projector.parameters()) + list(predictor.parameters())
decay = [q for q in params if q.ndim > 1]
no_decay = [q for q in params if q.ndim <= 1]
opt = torch.optim.AdamW([{'params': decay, 'weight_decay': a.wd}, {'params': no_decay, 'weight_decay': 0}], lr=a.lr)


def gray(x):
    return (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]).expand_as(x)


def hue_rotate(x, h):
    # rotation by angle 2 pi h in the I-Q plane of YIQ
    T = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
    Ti = torch.linalg.inv(T)
    yiq = torch.einsum('ij,bjhw->bihw', T, x)
    c, s = torch.cos(2 * math.pi * h).view(-1, 1, 1), torch.sin(2 * math.pi * h).view(-1, 1, 1)
    i2 = c * yiq[:, 1] - s * yiq[:, 2]
    q2 = s * yiq[:, 1] + c * yiq[:, 2]
    return torch.einsum('ij,bjhw->bihw', Ti, torch.stack([yiq[:, 0], i2, q2], 1)).clamp(0, 1)


def blur(x, p):
    n = x.shape[0]
    sig = torch.empty(n).uniform_(0.1, a.blur)
    r = int(math.ceil(3 * a.blur))
    t = torch.arange(-r, r + 1).float()
    k = torch.exp(-t.view(1, -1) ** 2 / (2 * sig.view(-1, 1) ** 2))
    k = k / k.sum(1, keepdim=True)
    kk = k.repeat_interleave(3, 0)
    y = F.pad(x.reshape(1, n * 3, *x.shape[2:]), (r, r, r, r), mode='reflect')
    y = F.conv2d(y, kk.view(n * 3, 1, 1, -1), groups=n * 3)
    y = F.conv2d(y, kk.view(n * 3, 1, -1, 1), groups=n * 3).view_as(x)
    on = (torch.rand(n) < p).view(-1, 1, 1, 1).float()
    return on * y + (1 - on) * x


def augment(x, pblur=1.0):
    n = x.shape[0]
    area = torch.empty(n).uniform_(a.crop, 1)
    logr = torch.empty(n).uniform_(math.log(3 / 4), math.log(4 / 3))
    r = torch.exp(logr)
    w = torch.sqrt(area * r).clamp(max=1)
    h = torch.sqrt(area / r).clamp(max=1)
    cx = (torch.rand(n) * 2 - 1) * (1 - w)
    cy = (torch.rand(n) * 2 - 1) * (1 - h)
    flip = torch.where(torch.rand(n) < 0.5, -1.0, 1.0)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 2], theta[:, 1, 1], theta[:, 1, 2] = w * flip, cx, h, cy
    x = F.grid_sample(x, F.affine_grid(theta, list(x.shape), align_corners=False), align_corners=False)
    on = (torch.rand(n) < a.pj).view(-1, 1, 1, 1).float()
    b = torch.empty(n, 1, 1, 1).uniform_(1 - a.jitter, 1 + a.jitter)
    c = torch.empty(n, 1, 1, 1).uniform_(1 - a.jitter, 1 + a.jitter)
    s = torch.empty(n, 1, 1, 1).uniform_(1 - a.sat, 1 + a.sat)
    hh = torch.empty(n).uniform_(-a.hue, a.hue)
    y = (x * b).clamp(0, 1)
    m = gray(y).mean((1, 2, 3), keepdim=True)
    y = ((y - m) * c + m).clamp(0, 1)
    g = gray(y)
    y = ((y - g) * s + g).clamp(0, 1)
    y = hue_rotate(y, hh)
    x = on * y + (1 - on) * x
    gr = (torch.rand(n) < a.gray).view(-1, 1, 1, 1).float()
    x = gr * gray(x) + (1 - gr) * x
    if a.blur > 0:
        x = blur(x, pblur)
    if a.shuffle > 0:
        perm = torch.stack([torch.randperm(3) for _ in range(n)])
        sh = (torch.rand(n) < a.shuffle).view(-1, 1, 1, 1).float()
        x = sh * torch.stack([x[i, perm[i]] for i in range(n)]) + (1 - sh) * x
    if a.invert > 0:
        inv = (torch.rand(n, 3, 1, 1) < a.invert).float()
        x = inv * (1 - x) + (1 - inv) * x
    return (x - MEAN) / STD


def ctr(q, k):
    q, k = F.normalize(q, dim=1), F.normalize(k, dim=1)
    logits = q @ k.t() / a.tau
    return F.cross_entropy(logits, torch.arange(q.shape[0])) * 2 * a.tau


@torch.no_grad()
def features(net):
    net.eval()
    f = torch.cat([net((xev[i:i + 256] - MEAN) / STD) for i in range(0, len(xev), 256)])
    net.train()
    return f


def stratified(y, frac, rng):
    tr, te = [], []
    for c in y.unique():
        idx = (y == c).nonzero().flatten()
        idx = idx[torch.from_numpy(rng.permutation(len(idx)))]
        k = int(round(len(idx) * frac))
        te.append(idx[:k]); tr.append(idx[k:])
    return torch.cat(tr), torch.cat(te)


def knn(f, y, tr, te, k=20, T=0.07):
    f = F.normalize(f, dim=1)
    sim = f[te] @ f[tr].t()
    w, i = sim.topk(k, dim=1)
    votes = torch.zeros(len(te), int(y.max()) + 1).scatter_add_(1, y[tr][i], torch.exp(w / T))
    return (votes.argmax(1) == y[te]).float().mean().item()


def linear(f, y, rng):
    tr, te = stratified(y, 0.2, rng)
    sub = []
    for c in y.unique():
        idx = tr[(y[tr] == c)]
        sub.append(idx[torch.from_numpy(rng.permutation(len(idx)))[:max(1, round(0.1 * len(idx)))]])
    tr = torch.cat(sub)
    mu, sd = f[tr].mean(0), f[tr].std(0, unbiased=False).clamp(min=1e-8)
    z = (f - mu) / sd
    W = torch.zeros(f.shape[1], int(y.max()) + 1, requires_grad=True)
    bb = torch.zeros(int(y.max()) + 1, requires_grad=True)
    o = torch.optim.Adam([W, bb], lr=0.05)
    for e in range(300):
        for g in o.param_groups:
            g['lr'] = 0.05 * 0.5 * (1 + math.cos(math.pi * e / 300))
        o.zero_grad()
        (F.cross_entropy(z[tr] @ W + bb, y[tr]) + 0.5e-4 * (W ** 2).sum()).backward()
        o.step()
    return ((z[te] @ W + bb).argmax(1) == y[te]).float().mean().item()


def online(step, loss):
    f = features(backbone)
    out = {}
    for k, y in yev.items():
        tr, te = stratified(y, 0.5, np.random.RandomState(0))
        out[f'knn/{k}'] = round(knn(f, y, tr, te), 3)
    print(f'step {step} loss {loss:.3f} ' + ' '.join(f'{k} {100 * v:.1f}' for k, v in out.items()), flush=True)
    return out


curve = [dict(step=0, **online(0, float('nan')))]
t0 = time.time()
step = 0
for step in range(a.steps):
    lr = a.lr * (step + 1) / max(1, int(0.1 * a.steps)) if step < int(0.1 * a.steps) else a.lr * 0.5 * (1 + math.cos(math.pi * (step - int(0.1 * a.steps)) / (a.steps - int(0.1 * a.steps))))
    for g in opt.param_groups:
        g['lr'] = lr
    m = 1 - (1 - a.m0) * 0.5 * (1 + math.cos(math.pi * step / a.steps))
    idx = torch.randint(0, len(xtr), (a.batch,))
    x = xtr[idx]
    v1, v2 = augment(x, 1.0), augment(x, 0.1)
    q1, q2 = predictor(projector(backbone(v1))), predictor(projector(backbone(v2)))
    with torch.no_grad():
        k1, k2 = kp(kb(v1)), kp(kb(v2))
    loss = ctr(q1, k2) + ctr(q2, k1)
    opt.zero_grad()
    loss.backward()
    opt.step()
    with torch.no_grad():
        for on, off in [(backbone, kb), (projector, kp)]:
            for po, pk in zip(on.parameters(), off.parameters()):
                pk.mul_(m).add_(po.detach(), alpha=1 - m)
            for bo, bk in zip(on.buffers(), off.buffers()):
                bk.copy_(bo)
    if (step + 1) % a.eval_every == 0:
        curve.append(dict(step=step + 1, **online(step + 1, loss.item())))
secs = time.time() - t0
f = features(backbone)
probes = {f'linear/{k}': round(np.mean([linear(f, y, np.random.RandomState(s)) for s in range(3)]), 3) for k, y in yev.items()}
print(f'done {a.steps} steps in {secs:.0f}s; linear 10% (mean of 3 splits): ' + ' '.join(f'{k} {100 * v:.1f}' for k, v in probes.items()), flush=True)
with open(a.log, 'a') as fh:
    fh.write(json.dumps(dict(tag=a.tag, args=vars(a), seconds=round(secs), curve=curve, probes=probes)) + '\n')
