/**
 * Every IR node tag has a torch rule or is listed, explicitly, as not implemented yet (none is now): the Python
 * rule table (`python3 -m tessera_torch.rules`) against the TypeScript tag lists. The list of
 * missing rules is pinned here and in the README ("PyTorch target"): adding a rule means moving
 * its tag from this list, and an IR tag with neither fails.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TORCH_PACKAGE } from '../../runtime/torchPackage.js';
import { AUG_TAGS } from '../../compiler/ir/augment.js';
import { LOSS_TAGS } from '../../compiler/ir/loss.js';
import { NET_TAGS } from '../../compiler/ir/net.js';
import { VALUE_TAGS } from '../../compiler/ir/node.js';
import type { Optimizer } from '../../compiler/ir/optim.js';
import type { Schedule } from '../../compiler/ir/schedule.js';
import { runPython } from './python.js';

type Kinds = Record<string, ReadonlyArray<string>>;

// exhaustive by type: a new optimizer or schedule kind does not compile until it is listed here
const OPTIMIZERS: Record<Optimizer['_tag'], true> = {
  AdamW: true,
  Adam: true,
  Lars: true,
  Sgd: true,
};
const SCHEDULES: Record<Schedule['_tag'], true> = {
  Constant: true,
  Linear: true,
  Cosine: true,
  WarmupCosine: true,
};

/** The IR's tags by kind. `Ref` never reaches a graph (the resolve pass replaces it); `Batched` is created by view batching. */
const irTags: Kinds = {
  value: [...VALUE_TAGS.filter((t) => t !== 'Ref'), 'Batched'],
  net: NET_TAGS,
  loss: LOSS_TAGS,
  augment: AUG_TAGS,
  optimizer: Object.keys(OPTIMIZERS),
  schedule: Object.keys(SCHEDULES),
};

/** What the torch target does not implement yet: nothing (ST-STORM's kinds came last). */
const NOT_YET: Kinds = {
  value: [],
  net: [],
  loss: [],
  augment: [],
  optimizer: [],
  schedule: [],
};

const table = (): { implemented: Kinds; missing: Kinds } =>
  JSON.parse(
    runPython(['-m', 'tessera_torch.rules'], { PYTHONPATH: join(TORCH_PACKAGE, '..') }),
  ) as { implemented: Kinds; missing: Kinds };

describe('torch rule table', () => {
  const { implemented, missing } = table();

  it.each(Object.keys(irTags))('covers every %s tag of the IR, no more', (kind) => {
    const covered = [...(implemented[kind] ?? []), ...(missing[kind] ?? [])].sort();
    expect(covered).toEqual([...irTags[kind]!].sort());
    expect((implemented[kind] ?? []).filter((t) => (missing[kind] ?? []).includes(t))).toEqual([]);
  });

  it('lists exactly the rules not implemented yet', () => {
    const sorted = (k: Kinds): Kinds =>
      Object.fromEntries(Object.entries(k).map(([kind, tags]) => [kind, [...tags].sort()]));
    expect(sorted(missing)).toEqual(sorted(NOT_YET));
  });
});
