/**
 * Test helpers for the library methods: the checked graph of a method (its issues thrown as JSON)
 * and the trainable parameter count of one of its modules.
 */
import * as E from 'fp-ts/lib/Either.js';
import { checkMethod } from '../../compiler/check.js';
import type { Graph } from '../../compiler/ir/graph.js';
import type { Method } from '../../compiler/ir/node.js';

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
