"""The rule table of the torch target, keyed by IR node tag, per kind of node: graph values
(``GraphOp`` of ``compiler/ir/graph.ts`` but ``Loss``), nets, losses, augmentations, optimizers
and schedules. Every tag of the IR is either implemented or listed as missing; the vitest
``test/torch/rules.test.ts`` compares this table with the TypeScript tag lists.

``python3 -m tessera_torch.rules`` prints ``{"implemented": {kind: [tags]}, "missing": {...}}``."""
import json

from .augment import AUG_MISSING, AUG_RULES
from .losses import LOSS_MISSING, LOSS_RULES
from .method import VALUE_MISSING, VALUE_RULES
from .nets import NET_MISSING, NET_RULES
from .optim import OPTIMIZER_TAGS
from .schedule import SCHEDULE_TAGS

IMPLEMENTED = {
    "value": sorted(VALUE_RULES),
    "net": sorted(NET_RULES),
    "loss": sorted(LOSS_RULES),
    "augment": sorted(AUG_RULES),
    "optimizer": sorted(OPTIMIZER_TAGS),
    "schedule": sorted(SCHEDULE_TAGS),
}

MISSING = {
    "value": sorted(VALUE_MISSING),
    "net": sorted(NET_MISSING),
    "loss": sorted(LOSS_MISSING),
    "augment": sorted(AUG_MISSING),
    "optimizer": [],
    "schedule": [],
}


def coverage():
    return {"implemented": IMPLEMENTED, "missing": MISSING}


if __name__ == "__main__":
    print(json.dumps(coverage()))
