"""Torch side of test/torch/folds.test.ts: the pseudo-domain folds of ``tessera_torch.data`` as
JSON: the split of N images for two seeds, each step's images and paired indices (twice, to show
they are a function of the step), and the error for a dataset with less than one batch per fold.
``python3 folds.py PKG N BATCH K ROTATE_EVERY STEPS``."""
import json
import sys

sys.path.insert(0, sys.argv[1])
from tessera_torch import data  # noqa: E402

n, batch, k, every, steps = (int(v) for v in sys.argv[2:7])
folds = {"k": k, "rotateEvery": every}


def indices(step):
    x, y = data.step_indices(n, batch, 7, step, folds)
    return [x.tolist(), y.tolist()]


try:
    data.step_indices(2 * batch - 1, batch, 7, 0, {"k": 2, "rotateEvery": 1})
    small = None
except ValueError as e:
    small = str(e)
plain, none = data.step_indices(n, batch, 7, 3)
print(json.dumps({
    "split": [f.tolist() for f in data.fold_split(n, k, 7)],
    "otherSeed": [f.tolist() for f in data.fold_split(n, k, 8)],
    "steps": [indices(s) for s in range(steps)],
    "again": [indices(s) for s in reversed(range(steps))][::-1],
    "plain": plain.tolist() == data.global_batch_indices(n, batch, 7, 3).tolist() and none is None,
    "small": small,
}))
