"""``Memory`` nodes (ST-STORM's style bank and replay of past generated images, methods.md 3.4)
as ``compiler/lower/memory.ts`` keeps them: per node name a deque of its last ``size`` samples,
oldest first. Evaluating the node replaces ``round(ratio * batch)`` random positions of the
batch with samples drawn uniformly from what the memory held BEFORE this step (an empty memory
returns the batch), and records the batch (detached) to push at ``after_step()`` (once per step
however often the node is evaluated). Draws: ``k`` distinct positions (a permutation's first
``k``), then one stored index per position. Under DDP the rule (``method.py``) hands it the
global batch, so every process holds the same memory and makes the same draws.
Checkpoints hold the contents as ``optimizer/memory/<name>`` in tessera's NHWC layout, as TF.js
writes them."""
import math

import torch

MEMORY = "memory/"


def replaced_count(ratio, batch):
    """Positions a memory of ``ratio`` replaces in a batch (JavaScript's ``Math.round``)."""
    return min(batch, max(0, math.floor(ratio * batch + 0.5)))


class MemoryState:
    def __init__(self):
        self.stored, self.pending = {}, {}

    def sample(self, node, source, draws):
        """The batch ``source`` with stored samples mixed in (see the module docstring)."""
        name = node["name"]
        if name not in self.pending:
            self.pending[name] = (source.detach().clone(), node["size"])
        bank = self.stored.get(name)
        batch = source.shape[0]
        k = replaced_count(node["ratio"], batch)
        if bank is None or k == 0:
            return source.clone()
        positions = [int(p) for p in draws.permutation(batch)[:k]]
        picks = [draws.integers(0, bank.shape[0]) for _ in positions]
        out = source.clone()
        out[torch.tensor(positions)] = bank[torch.tensor(picks)].to(out)
        return out

    def after_step(self):
        """Pushes the batches recorded during the step, dropping the oldest beyond ``size``."""
        for name, (batch, size) in self.pending.items():
            old = self.stored.get(name)
            joined = batch if old is None else torch.cat([old, batch], 0)
            self.stored[name] = joined[-size:] if joined.shape[0] > size else joined
        self.pending = {}

    def snapshot(self):
        """``{memory/<name>: NHWC array}`` of every non-empty memory (images NHWC as tessera)."""
        return {f"{MEMORY}{k}": (v.permute(0, 2, 3, 1) if v.dim() == 4 else v).contiguous().numpy()
                for k, v in self.stored.items()}

    def restore(self, tensors):
        """The inverse of ``snapshot`` (keys ``memory/<name>``)."""
        for key, v in tensors.items():
            t = torch.as_tensor(v, dtype=torch.float32).clone()
            self.stored[key[len(MEMORY):]] = t.permute(0, 3, 1, 2).contiguous() if t.dim() == 4 else t
