"""``torchrun --nproc_per_node=N DIR/train.py --data IMAGES --out RUN``: trains the graph that
``tessera compile SPEC --target torch --out DIR`` wrote, with DistributedDataParallel (gloo on
CPU, nccl on GPU) when launched with more than one process, and writes RUN as ``tessera train``
does (rank 0 writes). The spec's ``training.batch`` is the *global* batch."""
import argparse
import datetime
import json
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist

from . import distributed as D
from .data import open_images, shard, shard_indices, step_indices
from .method import Method
from .runfolder import load_latest, load_optimizer_state, load_weights, metrics_line, rng_state, save_checkpoint, write_atomic


def parse(argv, compiled_dir):
    p = argparse.ArgumentParser(prog="train.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="image folder (tessera data appearance --out DIR writes one)")
    p.add_argument("--out", required=True, help="run folder to write")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint-every", type=int, default=50)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--graph", default=os.path.join(compiled_dir, "graph.json"))
    p.add_argument("--stream", choices=("auto", "on", "off"), default="auto",
                   help="decode images on the fly instead of holding them (auto: when the decoded folder exceeds 2 GiB); same batches either way")
    p.add_argument("--workers", type=int, default=0, help="threads decoding streamed images (and the next step's) in parallel")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its last checkpoint (same spec and seed): the same trajectory as an uninterrupted run")
    return p.parse_args(argv)


def fail(message):
    print(f"train.py: {message}", file=sys.stderr)
    sys.exit(1)


def init_processes():
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")


def resume(a, method, compiled, metrics, rank):
    """Loads the last checkpoint of ``a.out`` into ``method`` (weights, buffers, optimizer state,
    key queues), keeps the metrics of the steps it covers, and returns the step to continue from.
    Another spec or seed is refused: the run would not be the one in the folder."""
    with open(os.path.join(a.out, "run.json")) as f:
        info = json.load(f)
    if info.get("specHash") != compiled["specHash"]:
        fail(f"--resume: {a.out} was trained from spec {info.get('specHash')}, this graph is {compiled['specHash']}\n"
             "hint: resume with the train.py of the folder the run was compiled to")
    if info.get("seed") != a.seed:
        fail(f"--resume: {a.out} was trained with --seed {info.get('seed')}, not {a.seed}\nhint: pass --seed {info.get('seed')}")
    try:
        step, tensors, _ = load_latest(a.out)
        load_weights(method, {k[len("weights/"):]: v for k, v in tensors.items() if k.startswith("weights/")})
        load_optimizer_state(method, tensors)
    except (OSError, KeyError, ValueError) as e:
        fail(f"--resume: the last checkpoint of {a.out} is unusable: {e}\nhint: point checkpoints/latest.json at an earlier step-NNNNNN.json")
    if rank == 0 and os.path.exists(metrics):
        with open(metrics) as f:
            kept = [line for line in f if line.strip() and json.loads(line).get("step", -1) < step]
        write_atomic(metrics, "".join(kept))
    if rank == 0:
        print(f"resuming {a.out} at step {step}", flush=True)
    return step


def local_batches(images, indices, rank, world):
    """This process's rows of a step's global batch and of its paired batch (``None`` without
    folds), read in one call so that a streaming folder decodes both from one prefetch."""
    idx, paired = indices
    if paired is None:
        return shard(images, idx, rank, world), None
    mine, theirs = shard_indices(idx, rank, world), shard_indices(paired, rank, world)
    both = shard(images, np.concatenate([mine, theirs]), 0, 1)
    return both[:len(mine)], both[len(mine):]


def main(argv=None, compiled_dir=None):
    compiled_dir = compiled_dir or os.path.dirname(os.path.abspath(sys.argv[0]))
    a = parse(sys.argv[1:] if argv is None else argv, compiled_dir)
    init_processes()
    rank, world = D.rank(), D.world()
    with open(a.graph) as f:
        compiled = json.load(f)
    method_ir = compiled["graph"]["method"]
    batch, steps = method_ir["training"]["batch"], method_ir["training"]["steps"]
    if batch % world != 0:
        fail(f"the global batch {batch} does not split over {world} processes\nhint: recompile with --batch a multiple of {world}")
    has_run = os.path.exists(os.path.join(a.out, "checkpoints", "latest.json"))
    if has_run and not a.resume:
        fail(f"{a.out} already holds a run\nhint: continue it with --resume, or choose another --out")
    if a.resume and not has_run:
        fail(f"--resume: {a.out} has no checkpoint (checkpoints/latest.json)\nhint: start the run without --resume")
    size = method_ir["input"]["size"]
    images = open_images(os.path.abspath(a.data), size, a.stream, a.workers)
    files = images.files
    method = Method(compiled, seed=a.seed)
    meta = {"specHash": compiled["specHash"], "seed": a.seed, "rng": rng_state(a.seed), "backend": "torch",
            "totalSteps": steps, "processes": world}
    metrics = os.path.join(a.out, "metrics.jsonl")
    start = resume(a, method, compiled, metrics, rank) if a.resume else 0
    if rank == 0 and not a.resume:
        os.makedirs(a.out, exist_ok=True)
        write_atomic(os.path.join(a.out, "spec.json"), json.dumps(method_ir, indent=2) + "\n")
        write_atomic(os.path.join(a.out, "spec.sha256"), compiled["specHash"] + "\n")
        info = {"version": 1, "method": compiled.get("name", method_ir["name"]), "data": os.path.abspath(a.data),
                "imageSize": size, "datasetSize": len(files), "seed": a.seed, "steps": steps, "batch": batch,
                "backend": "wasm", "target": "torch", "processes": world, "checkpointEvery": a.checkpoint_every,
                "specHash": compiled["specHash"],
                "createdAt": datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")}
        write_atomic(os.path.join(a.out, "run.json"), json.dumps(info, indent=2) + "\n")
        open(metrics, "w").close()
        print(f"training {method_ir['name']} for {steps} steps: global batch {batch} on {world} process(es), "
              f"{len(files)} images from {a.data} ({'streamed' if images.streaming else 'in memory'})", flush=True)
    t0 = time.perf_counter()
    folds = method_ir["training"].get("folds")
    for step in range(start, steps):
        x, y = local_batches(images, step_indices(len(files), batch, a.seed, step, folds), rank, world)
        if step + 1 < steps:
            nxt = [i for i in step_indices(len(files), batch, a.seed, step + 1, folds) if i is not None]
            images.prefetch(np.concatenate([shard_indices(i, rank, world) for i in nxt]))
        ts = time.perf_counter()
        m = method.step(x, step, steps, total=batch, offset=rank * (batch // world), paired=y)
        step_s = time.perf_counter() - ts
        m["step"] = step
        if not all(map(lambda v: v == v and abs(v) != float("inf"), m["terms"].values())):
            fail(f"loss became non-finite at step {step} ({m['terms']}); the last checkpoint is kept\nhint: lower the learning rate")
        if rank == 0:
            with open(metrics, "a") as f:
                f.write(metrics_line(method_ir, m, step_s, time.perf_counter() - t0))
            if (step + 1) % a.log_every == 0 or step == 0:
                print(f"step {step + 1}/{steps}  loss {m['loss']:.4f}  {step_s * 1000:.0f} ms/step", flush=True)
            if (step + 1) % a.checkpoint_every == 0 or step + 1 == steps:
                save_checkpoint(a.out, step + 1, method, {**meta, "step": step + 1})
    if rank == 0:
        print(f"done: {a.out} (tessera eval --run {a.out})", flush=True)
    if dist.is_initialized():
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
