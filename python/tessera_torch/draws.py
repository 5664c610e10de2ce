"""The random draws of a loss or memory node: ``Draws`` wraps the node's NumPy generator; tests
replace it by ``Replay``, which hands back the draws TF.js made (recorded by
``test/torch/tfjsReference.ts``), so both targets compute on the same samples."""
import numpy as np


class Draws:
    """Permutations, uniform integers and standard normals from one NumPy generator."""

    def __init__(self, rng):
        self.rng = rng

    def permutation(self, n):
        return self.rng.permutation(n)

    def integers(self, lo, hi):
        return int(self.rng.integers(lo, hi))

    def normal(self, count):
        return self.rng.standard_normal(count).astype(np.float32)


class Replay:
    """Recorded draws in order: ``permutations`` (a list of index arrays), ``integers`` and
    ``normals`` (flat arrays consumed front to back). Asking for a draw that was not recorded is
    an error."""

    def __init__(self, permutations=(), normals=(), integers=()):
        self.permutations = [np.asarray(p) for p in permutations]
        self.normals = np.asarray(normals, dtype=np.float32).reshape(-1)
        self.ints = [int(i) for i in integers]
        self.used_p, self.used_n, self.used_i = 0, 0, 0

    def permutation(self, n):
        if self.used_p >= len(self.permutations):
            raise ValueError(f"Replay: permutation {self.used_p} of {n} was not recorded")
        p = self.permutations[self.used_p]
        if len(p) != n:
            raise ValueError(f"Replay: recorded permutation {self.used_p} has {len(p)} entries, asked for {n}")
        self.used_p += 1
        return p

    def integers(self, lo, hi):
        if self.used_i >= len(self.ints):
            raise ValueError(f"Replay: integer draw {self.used_i} was not recorded")
        v = self.ints[self.used_i]
        if not lo <= v < hi:
            raise ValueError(f"Replay: recorded integer {v} is outside [{lo}, {hi})")
        self.used_i += 1
        return v

    def normal(self, count):
        out = self.normals[self.used_n:self.used_n + count]
        if len(out) != count:
            raise ValueError(f"Replay: {count} normals asked, {len(self.normals) - self.used_n} recorded left")
        self.used_n += count
        return out
