/**
 * Test helpers for the library methods: the checked graph of a method (its issues thrown as JSON),
 * the trainable parameter count of one of its modules, and ST-STORM's tok-only ablation.
 */
import * as E from 'fp-ts/lib/Either.js';
import { checkMethod } from '../../compiler/check.js';
import type { Graph } from '../../compiler/ir/graph.js';
import type { Method } from '../../compiler/ir/node.js';
import { Method as MethodDsl } from '../../dsl/index.js';
import { stStorm, type StStormOptions } from '../../library/stStorm.js';

/** The graph after the checking passes; throws the issues (as JSON) when there are any. */
export const checked = (m: Method): Graph => {
  const r = checkMethod(m);
  if (E.isLeft(r)) throw new Error(JSON.stringify(r.left, null, 1));
  return r.right;
};

/** Trainable parameters (buffers excluded) of module `name` in `g`; 0 for an unknown module. */
export const trainable = (g: Graph, name: string): number =>
  (g.modules.find((x) => x.decl.name === name)?.params ?? [])
    .filter((p) => !p.buffer)
    .reduce((a, p) => a + p.shape.reduce((u, v) => u * v, 1), 0);

/** ST-STORM with G_A's objective reduced to the teacher-token term (`tok`: L1 between T_A's tokens of far and of y). */
export const tokOnly = (o: StStormOptions = { preset: 'tiny' }): Method => {
  const m = stStorm(o);
  const others = (m.objectives.find((x) => x.name === 'generatorA')?.terms ?? [])
    .map((t) => t.name)
    .filter((n) => n !== 'tok');
  return others.reduce(
    (acc, term) => MethodDsl.removeLoss(acc, { objective: 'generatorA', term }),
    m,
  );
};

/** `m` with its adaptive term weights updated every step (the tiny preset updates every 10). */
export const everyStep = (m: Method): Method => ({
  ...m,
  objectives: m.objectives.map((o) => ({
    ...o,
    terms: o.terms.map((t) =>
      t.adaptive === undefined ? t : { ...t, adaptive: { ...t.adaptive, every: 1 } },
    ),
  })),
});
