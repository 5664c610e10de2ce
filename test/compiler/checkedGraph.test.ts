/**
 * A spec is checked once: `checkMethod` marks the graph of the checking passes as a
 * `CheckedGraph`, `optimise` (and `compile`, `train`) continue from it without decoding and
 * checking the spec again, and give what checking the spec with the whole pipeline gives. The
 * step plan is computed once per compile: the fusion pass records it and memory planning and the
 * lowering reuse it.
 */
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import {
  checkMethod,
  checkOrThrow,
  isChecked,
  optimise,
  withTrainingSteps,
} from '../../compiler/check.js';
import type { Graph } from '../../compiler/ir/graph.js';
import type { Method } from '../../compiler/ir/node.js';
import { verifyGraph } from '../../compiler/ir/verifier.js';
import { planMemory } from '../../compiler/passes/memory.js';
import { checkingPasses, pipelineFor } from '../../compiler/passes/pipeline.js';
import { planStep, stepPlan } from '../../compiler/passes/plan.js';
import { methods, type MethodName } from '../../library/index.js';

const tiny: ReadonlyArray<readonly [MethodName, Method]> = (
  ['moco-v3', 'i-jepa', 'st-storm'] as const
).map((name) => [name, methods[name]('tiny')] as const);

const right = <T>(r: E.Either<unknown, T>): T => {
  if (E.isLeft(r)) throw new Error(`expected a graph, got ${JSON.stringify(r.left)}`);
  return r.right;
};

describe('a checked graph', () => {
  it('is what checkMethod gives with the checking passes, and nothing else', () => {
    const [, moco] = tiny[0]!;
    const checked = right(checkMethod(moco));
    expect(isChecked(checked)).toBe(true);
    expect(isChecked(checkOrThrow(moco))).toBe(true);
    expect(isChecked({ ...checked })).toBe(false); // a copy may have been changed
    expect(isChecked(moco)).toBe(false);
    expect(isChecked(right(checkMethod(moco, { passes: checkingPasses.slice(0, 1) })))).toBe(false);
    expect(isChecked(right(checkMethod(moco, { passes: pipelineFor('cpu') })))).toBe(false);
  });

  it.each(tiny)(
    '%s tiny: optimising the checked graph gives what the whole pipeline gives from the spec',
    (_, m) => {
      for (const backend of ['cpu', 'wasm']) {
        const once = right(optimise(checkOrThrow(m), backend));
        expect(once).toEqual(checkOrThrow(m, { passes: pipelineFor(backend) }));
      }
    },
  );

  it('runs only the optimisation passes on a checked graph (the dump names each pass run)', () => {
    const [, moco] = tiny[0]!;
    const ran: string[] = [];
    const log = (text: string): void => {
      ran.push(/^== after (\S+) ==/.exec(text)![1]!);
    };
    right(optimise(checkOrThrow(moco), 'wasm', { dump: true, log }));
    expect(ran).toEqual([
      'eliminate-shared-forward',
      'batch-views',
      'fuse',
      'legalize-wasm',
      'plan-memory',
    ]);
  });

  it.each(tiny)(
    '%s tiny: --steps on a checked graph gives the graph of the spec with those steps',
    (_, m) => {
      const steps = m.training.steps + 7;
      const moved = withTrainingSteps(checkOrThrow(m), steps);
      expect(isChecked(moved)).toBe(true);
      expect(moved).toEqual(checkOrThrow({ ...m, training: { ...m.training, steps } }));
    },
  );
});

describe('the step plan', () => {
  it.each(tiny)(
    '%s tiny: the fusion pass records it and later passes keep it; memory planning used it',
    (_, m) => {
      const passes = pipelineFor('wasm');
      const fuse = passes.findIndex((p) => p.name === 'fuse');
      let graph: Graph = checkOrThrow(m, { passes: passes.slice(0, fuse) });
      expect(graph.plan).toBeUndefined();
      graph = right(passes[fuse]!.run(graph));
      const recorded = graph.plan;
      expect(recorded).toEqual(planStep(graph));
      for (const pass of passes.slice(fuse + 1)) {
        const next = right(pass.run(graph));
        expect(next.plan).toBe(recorded);
        expect(next.nodes).toBe(graph.nodes); // so the plan stays valid
        graph = next;
      }
      expect(stepPlan(graph)).toBe(recorded);
      expect(graph.memory).toEqual(planMemory({ ...graph, plan: undefined }));
    },
  );

  it('the verifier reports a plan that reads a node the graph no longer has', () => {
    const [, moco] = tiny[0]!;
    const graph = checkOrThrow(moco, { passes: pipelineFor('wasm') });
    expect(verifyGraph(graph)).toEqual([]);
    const dropped = graph.plan![0]!.taped[0]!;
    const stale: Graph = { ...graph, nodes: graph.nodes.filter((n) => n.id !== dropped) };
    expect(verifyGraph(stale).filter((i) => i.path[0] === 'plan')).toEqual([
      expect.objectContaining({
        code: 'E_DANGLING_REF',
        path: ['plan', 0, 'taped', 0],
      }),
    ]);
  });
});
