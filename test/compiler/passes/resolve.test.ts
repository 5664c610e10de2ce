import * as E from 'fp-ts/Either';
import { describe, expect, it } from 'vitest';
import { decodeMethod } from '../../../compiler/ir/codec.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import type { Issue } from '../../../compiler/ir/issue.js';
import type { Method } from '../../../compiler/ir/node.js';
import { verifyGraph } from '../../../compiler/ir/verifier.js';
import { emptyGraph, resolve, resolveMethod } from '../../../compiler/passes/resolve.js';
import { tinyIjepa, tinyMoco } from '../../fixtures/methods.js';
import { type Loose, mutate } from '../mutate.js';

const asMethod = (spec: Loose): Method => {
  const r = decodeMethod(spec);
  if (E.isLeft(r)) throw new Error(`fixture does not decode: ${JSON.stringify(r.left)}`);
  return r.right;
};
const graphOf = (m: Method): Graph => {
  const r = resolveMethod(m);
  if (E.isLeft(r)) throw new Error(`unexpected issues: ${JSON.stringify(r.left)}`);
  return r.right;
};
const issuesOf = (spec: Loose): ReadonlyArray<Issue> => {
  const r = resolveMethod(asMethod(spec));
  if (E.isRight(r)) throw new Error('expected issues');
  return r.left;
};
const brief = (issues: ReadonlyArray<Issue>): ReadonlyArray<string> =>
  issues.map((i) => `${i.code} ${i.path.join('.')}`);

describe('resolve', () => {
  it('builds one node per occurrence, shares named values, and keeps topological order', () => {
    const g = graphOf(tinyMoco);
    expect(verifyGraph(g)).toEqual([]);
    const applies = g.nodes.flatMap((n) => (n.op === 'Apply' ? [n.expr.module] : []));
    expect(applies).toEqual([
      'online',
      'predictor',
      'online',
      'predictor',
      'target',
      'target',
      'target',
    ]);
    // view1 is referenced by q1 and k1: one View node, read by two Apply nodes
    const views = g.nodes.filter((n) => n.op === 'View');
    expect(views).toHaveLength(2);
    const readers = g.nodes.filter((n) => Object.values(n.inputs).includes(views[0]!.id));
    expect(readers.map((n) => (n.op === 'Apply' ? n.expr.module : n.op))).toEqual([
      'online',
      'target',
    ]);
    // each occurrence of Input is its own node (inline expressions are not merged here; cse does that)
    expect(g.nodes.filter((n) => n.op === 'Input')).toHaveLength(3);
    expect(g.nodes.map((n) => n.expr._tag)).not.toContain('Ref');
  });

  it('records spec paths as origins and points terms and representations at their nodes', () => {
    const g = graphOf(tinyMoco);
    const byId = new Map(g.nodes.map((n) => [n.id, n]));
    expect(
      g.terms.map((t) => [t.objective, t.term, byId.get(t.node)?.op, t.origin.join('.')]),
    ).toEqual([
      ['main', 'q1k2', 'Loss', 'objectives.0.terms.0.loss'],
      ['main', 'q2k1', 'Loss', 'objectives.0.terms.1.loss'],
    ]);
    const loss = byId.get(g.terms[0]!.node)!;
    expect(byId.get(loss.inputs['query']!)?.origin).toEqual(['values', 2, 'value']);
    expect(byId.get(loss.inputs['key']!)?.op).toBe('StopGradient');
    const rep = byId.get(g.representations[0]!.node)!;
    expect(rep.origin).toEqual(['representations', 0, 'value']);
    expect(rep.expr).toMatchObject({ _tag: 'Apply', module: 'target', path: ['0'] });
    expect(g.modules.map((m) => m.decl.name)).toEqual(['online', 'predictor', 'target']);
  });

  it('is the first pass of the pipeline: reads only graph.method', () => {
    expect(resolve.run(emptyGraph(tinyIjepa))).toEqual(resolveMethod(tinyIjepa));
    expect(verifyGraph(graphOf(tinyIjepa))).toEqual([]);
  });

  it('reports duplicate names of every kind, at the second declaration', () => {
    const issues = issuesOf(
      mutate(tinyMoco, (s) => {
        s.modules.push({ ...s.modules[1] });
        s.values.push({ name: 'q1', value: s.values[2].value });
        s.objectives[0].terms[1].name = 'q1k2';
        s.representations.push(s.representations[0]);
      }),
    );
    expect(brief(issues)).toEqual([
      'E_DUPLICATE_NAME modules.3.name',
      'E_DUPLICATE_NAME values.6.name',
      'E_DUPLICATE_NAME objectives.0.terms.1.name',
      'E_DUPLICATE_NAME representations.1.name',
    ]);
    expect(issues[0]?.got).toContain('modules.1.name');
  });

  it('reports one random-stream name used for two different views', () => {
    const issues = issuesOf(mutate(tinyMoco, (s) => (s.values[1].value.name = 'view1')));
    expect(brief(issues)).toEqual(['E_DUPLICATE_NAME values.1.value.name']);
  });

  it('reports dangling references with the closest known name', () => {
    const issues = issuesOf(
      mutate(tinyMoco, (s) => {
        s.values[2].value.module = 'predicter';
        s.objectives[0].terms[0].loss.key.name = 'k3';
        s.modules[2].ema.source = 'onlin';
        s.objectives[0].params.push('projector');
        s.representations[0].value.path = ['2'];
      }),
    );
    expect(brief(issues)).toEqual([
      'E_DANGLING_REF values.2.value.module',
      'E_DANGLING_REF objectives.0.terms.0.loss.key',
      'E_DANGLING_REF representations.0.value.path.0',
      'E_DANGLING_REF modules.2.ema.source',
      'E_DANGLING_REF objectives.0.params.2',
    ]);
    expect(issues.map((i) => i.hint)).toEqual([
      'did you mean "predictor"?',
      'did you mean "k1"?',
      undefined,
      'did you mean "online"?',
      undefined,
    ]);
    expect(issues[2]?.expected).toBe('one of 0, 1');
  });

  it('reports a cycle once, naming the values on it', () => {
    const issues = issuesOf(
      mutate(tinyMoco, (s) => {
        s.values[0].value.source = { _tag: 'Ref', name: 'q1' };
      }),
    );
    expect(brief(issues)).toEqual(['E_CYCLE values.2.value.inputs.x.inputs.x']);
    expect(issues[0]?.message).toBe('values refer to each other: view1 -> q1 -> view1');
  });

  it('reports missing and unexpected ports', () => {
    const issues = issuesOf(
      mutate(tinyIjepa, (s) => {
        delete s.values[5].value.inputs.targets;
        s.values[4].value.inputs.kepe = s.values[4].value.inputs.keep;
      }),
    );
    expect(brief(issues)).toEqual([
      'E_PORT values.4.value.inputs.kepe',
      'E_PORT values.5.value.inputs',
    ]);
    expect(issues[0]?.hint).toBe('did you mean "keep"?');
    expect(issues[1]?.message).toBe('TransformerPredictor needs an input on port "targets"');
  });

  it('reports unknown phases and phases no objective runs in', () => {
    const issues = issuesOf(
      mutate(tinyMoco, (s) => {
        s.phases = [
          { name: 'A', steps: 2 },
          { name: 'B', steps: 2 },
        ];
        s.objectives[0].phases = ['A', 'C'];
      }),
    );
    expect(brief(issues)).toEqual(['E_PHASE objectives.0.phases.1', 'E_PHASE phases.1']);
  });

  it('reports modules nothing applies', () => {
    const issues = issuesOf(
      mutate(tinyMoco, (s) =>
        s.modules.push({ name: 'probe', net: { _tag: 'L2Normalize' }, frozen: [] }),
      ),
    );
    expect(brief(issues)).toEqual(['E_UNUSED_MODULE modules.3']);
  });
});
