"""``torchrun`` for Debian 12's PyTorch 1.13 on Python 3.11, where the stock launcher fails
before starting any worker (``AttributeError: 'NoneType' object has no attribute 'get'`` in
``elastic/multiprocessing/api.py``: Python 3.11 no longer iterates the zero member of an
``IntFlag``, so ``Std.from_str("0")`` returns None). Same arguments as ``torchrun``:

    python3 DIR/torchrun.py --nproc_per_node=2 DIR/train.py --data IMAGES --out RUN

With a newer PyTorch (or Python <= 3.10) use ``torchrun`` itself."""
import re
import sys


def _patch():
    from torch.distributed.elastic.multiprocessing import api

    def from_str(cls, vm):
        if re.match(r"^[0123]$", vm):
            return cls(int(vm))
        if re.match(r"^(\d:[0123],)*(\d:[0123])$", vm):
            return {int(i): cls(int(v)) for i, v in (m.split(":") for m in vm.split(","))}
        raise ValueError(f"{vm} does not match <[0123]> or <local_rank:[0123],...>")

    if api.Std.from_str("0") is None:
        api.Std.from_str = classmethod(from_str)


def main():
    _patch()
    from torch.distributed.run import main as run

    run()


if __name__ == "__main__":
    sys.exit(main())
