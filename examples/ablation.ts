/**
 * An ablation in a few lines: MoCo v3 `tiny` without its symmetric half and with a colder
 * temperature, the structural difference, and the first losses of both (same seed, same data).
 * Run: `npx tsx examples/ablation.ts`.
 */
import { pipe } from 'fp-ts/lib/function.js';
import { compareMethods } from '../compiler/ir/compare.js';
import { appearanceDataset, compile, Method, mocoV3, Rng, type MethodSpec } from '../index.js';

const base = mocoV3({ preset: 'tiny', batch: 16 });
export const ablated = pipe(
  base,
  Method.removeLoss('ctr_21'),
  Method.override('objectives.contrastive.terms.ctr_12.loss.temperature', 0.1),
);

/** The first `steps` losses of a method on the built-in data, from seed 0. */
export const firstLosses = async (m: MethodSpec, steps: number): Promise<number[]> => {
  const compiled = await compile(m, { backend: 'wasm' });
  compiled.init(0);
  const batches = appearanceDataset({ n: 16 * steps, size: 32 }).batches(16, Rng.seeded(0));
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const { value } = await batches.next();
    losses.push(compiled.step(value!.images, { step, totalSteps: steps }).loss);
    value!.images.dispose();
  }
  compiled.dispose();
  return losses;
};

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const c of compareMethods(base, ablated))
    console.log(
      `${c.status} ${c.kind} ${c.name}`,
      c.fields
        .map((f) => `${f.path.join('.')}: ${String(f.before)} -> ${String(f.after)}`)
        .join(', '),
    );
  console.log('base   ', (await firstLosses(base, 4)).map((x) => x.toFixed(3)).join(' '));
  console.log('ablated', (await firstLosses(ablated, 4)).map((x) => x.toFixed(3)).join(' '));
}
