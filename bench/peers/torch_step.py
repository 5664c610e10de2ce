"""PyTorch peer of `tessera bench step --peer torch`: a hand-written PyTorch CPU training step of a
tessera `tiny` model, driven over stdin/stdout by `bench/peer.ts` so it runs interleaved with the
compiled step.

Protocol (one JSON object per line): the first line on stdin is the config
`{"method", "batch", "threads", "seed", "nets": {...IR net nodes...}, "hyper": {...}}`; then each
line is a command and gets one JSON reply line:
  {"cmd": "info"}                    -> {"params", "forward_flops", "blas", "threads", "torch"}
  {"cmd": "step", "masks": {...}?}   -> {"ms", "loss"}   (the step's wall time, loss read back inside)
  {"cmd": "quit"}                    -> exits
Data augmentation is not in the step: the views are fixed random tensors (tessera times its
augmentation separately). Threads: `torch.set_num_threads(threads)`; OpenBLAS and OpenMP read their
thread counts from the environment, which `bench/peer.ts` sets before starting this process.
"""
import json
import os
import sys
import time

import torch

from torch_methods import make_method


def blas_library():
    """The BLAS library torch loaded, read from this process's memory map after a matmul."""
    a = torch.rand(64, 64)
    _ = a @ a
    with open("/proc/self/maps") as f:
        libs = sorted({line.split()[-1] for line in f if "blas" in line.split()[-1].lower() or "mkl" in line.split()[-1].lower()})
    if any("openblas" in lib for lib in libs):
        kind = "openblas-pthread" if any("openblas-pthread" in lib for lib in libs) else "openblas"
    elif any("mkl" in lib for lib in libs):
        kind = "mkl"
    elif any("/blas/" in lib for lib in libs):
        kind = "reference"
    else:
        kind = "unknown"
    return {"kind": kind, "libraries": libs}


def forward_flops(method):
    """Matmul and convolution FLOPs of one forward of the step, counted by torch's profiler."""
    counted = {"aten::mm", "aten::addmm", "aten::bmm", "aten::conv2d"}
    with torch.no_grad(), torch.profiler.profile(with_flops=True) as prof:
        method.forward_only()
    return sum(e.flops for e in prof.key_averages() if e.key in counted)


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    config = json.loads(sys.stdin.readline())
    torch.set_num_threads(int(config["threads"]))
    torch.manual_seed(int(config.get("seed", 0)))
    method = make_method(config)
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["cmd"] == "quit":
            return
        if cmd["cmd"] == "info":
            reply({
                "params": method.param_count(),
                "forward_flops": forward_flops(method),
                "blas": blas_library(),
                "threads": torch.get_num_threads(),
                "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
                "torch": torch.__version__,
            })
        elif cmd["cmd"] == "step":
            method.set_masks(cmd.get("masks"))
            t0 = time.perf_counter()
            loss = method.step()
            reply({"ms": (time.perf_counter() - t0) * 1e3, "loss": loss})
        else:
            reply({"error": f"unknown command {cmd['cmd']!r}"})


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # reported to the driver as one line, then a non-zero exit
        reply({"error": f"{type(e).__name__}: {e}"})
        sys.exit(1)
