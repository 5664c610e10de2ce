import { describe, expect, it } from 'vitest';
import {
  rewriteValue,
  subExpressions,
  valueChildren,
  withChildren,
} from '../../../compiler/ir/children.js';
import type { ValueExpr } from '../../../compiler/ir/node.js';

const images: ValueExpr = { _tag: 'Input', name: 'images' };
const ref = (name: string): ValueExpr => ({ _tag: 'Ref', name });
const apply = (module: string, x: ValueExpr, path: ReadonlyArray<string> = []): ValueExpr => ({
  _tag: 'Apply',
  module,
  path,
  inputs: { x },
});
const tree: ValueExpr = {
  _tag: 'Concat',
  sources: [apply('a', ref('v')), { _tag: 'StopGradient', source: apply('b', images, ['p']) }],
};

describe('IR children', () => {
  it('withChildren is the inverse of valueChildren', () => {
    for (const e of subExpressions(tree)) expect(withChildren(e, valueChildren(e))).toEqual(e);
  });
  it('subExpressions lists every node, parents first', () => {
    expect(subExpressions(tree).map((e) => e._tag)).toEqual([
      'Concat',
      'Apply',
      'Ref',
      'StopGradient',
      'Apply',
      'Input',
    ]);
  });
  it('rewriteValue rewrites bottom-up and keeps the field order', () => {
    const out = rewriteValue(tree, (e) => (e._tag === 'Ref' ? images : e));
    expect(subExpressions(out).map((e) => e._tag)).not.toContain('Ref');
    expect(JSON.stringify(rewriteValue(tree, (e) => e))).toBe(JSON.stringify(tree));
  });
});
