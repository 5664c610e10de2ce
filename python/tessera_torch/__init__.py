"""tessera_torch: the PyTorch target of tessera. Builds nn.Modules, loss kernels, batched
augmentations, masks, EMA targets, optimizers and schedules from a checked tessera graph
(``tessera compile SPEC --target torch --out DIR``) and trains it, under ``torchrun`` with
DistributedDataParallel. See ``rules.py`` for what each IR node kind maps to."""
