"""Torch side of test/torch/conv.test.ts: for each case of the JSON file argv[1] (a Conv2d node,
its HWIO weight, bias, spectral-norm vector, an NHWC input and TF.js's NHWC output and new
vector), runs tessera_torch's Conv2d rule in training mode and prints per case the max abs
differences of the output and of the vector written after the step, as JSON."""
import json
import sys

import torch

sys.path.insert(0, sys.argv[2])
from tessera_torch.convs import Conv2d, commit_buffers  # noqa: E402

with open(sys.argv[1]) as f:
    cases = json.load(f)
out = []
for c in cases:
    m = Conv2d(c["node"]).train()
    with torch.no_grad():
        m.inner.weight.copy_(torch.tensor(c["weight"]).permute(3, 2, 0, 1))
        if c["node"]["bias"]:
            m.inner.bias.copy_(torch.tensor(c["bias"]))
        if c["node"]["spectralNorm"]:
            m.inner.u.copy_(torch.tensor(c["u"]))
    y = m(torch.tensor(c["x"]).permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    commit_buffers(m)
    want = torch.tensor(c["y"])
    r = {"shape": list(y.shape), "want": list(want.shape), "y": float((y - want).abs().max()) if y.shape == want.shape else None}
    if c["node"]["spectralNorm"]:
        r["u"] = float((m.inner.u - torch.tensor(c["uNext"])).abs().max())
    out.append(r)
print(json.dumps(out))
