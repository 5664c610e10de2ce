"""Torch side of test/torch/memory.test.ts: runs tessera_torch's MemoryState over the steps in the
JSON file argv[1] (sources NCHW and the draws TF.js made) and prints each step's output and the
final snapshot (NHWC, as checkpoints hold it) as JSON."""
import json
import sys

import torch

sys.path.insert(0, sys.argv[2])
from tessera_torch.draws import Replay  # noqa: E402
from tessera_torch.memory import MemoryState  # noqa: E402

with open(sys.argv[1]) as f:
    case = json.load(f)
state = MemoryState()
outs = []
for step in case["steps"]:
    src = torch.tensor(step["source"])
    out = state.sample(case["node"], src, Replay(permutations=[step["perm"]], integers=step["ints"]))
    outs.append(out.tolist())
    state.after_step()
restored = MemoryState()
restored.restore(state.snapshot())
print(json.dumps({"outs": outs, "snapshot": {k: v.tolist() for k, v in state.snapshot().items()},
                  "roundTrip": all(torch.equal(restored.stored[k], v) for k, v in state.stored.items())}))
