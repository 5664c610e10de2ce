/**
 * `npx tsx bench/losses.ts [steps]`: the losses of the three library methods' `tiny` presets
 * over the first `steps` (default 5) training steps on the `cpu` backend, from seed 0 and a
 * fixed seeded batch, printed as JSON with every float64 digit (and its bit pattern in hex).
 * It uses only the public entry (`index.ts`), so it runs unchanged across refactors: two runs
 * that print the same JSON trained bit for bit the same. `test/fixtures/tinyLosses.json` is
 * one such run; `test/library/tinyLosses.test.ts` compares against it.
 */
import * as tf from '@tensorflow/tfjs';
import { compile, methodNames, methods, Rng, type MethodName } from '../index.js';

/** The hex bit pattern of a float64, so "equal" means bit for bit. */
const bits = (x: number): string => Buffer.from(new Float64Array([x]).buffer).toString('hex');

/** One method's per-step losses and loss terms. */
export interface MethodLosses {
  readonly loss: ReadonlyArray<number>;
  readonly bits: ReadonlyArray<string>;
  readonly terms: ReadonlyArray<Readonly<Record<string, number>>>;
}

/** Trains `name`'s `tiny` preset for `steps` steps on cpu; the images (then the paired batch) come from `Rng.seeded(1)`. */
export const tinyLosses = async (name: MethodName, steps: number): Promise<MethodLosses> => {
  const method = methods[name]('tiny');
  const compiled = await compile(method, { backend: 'cpu' });
  compiled.init(0);
  const { size, channels } = method.input;
  const n = method.training.batch * size * size * channels;
  const rng = Rng.seeded(1);
  const pixels = Float32Array.from({ length: n }, () => rng.next());
  const images = tf.tensor4d(pixels, [method.training.batch, size, size, channels]);
  // the other pseudo-domain fold's batch (ST-STORM's y), the next draws of the same stream
  const paired = tf.tensor4d(
    Float32Array.from({ length: n }, () => rng.next()),
    images.shape,
  );
  const loss: number[] = [];
  const terms: Array<Record<string, number>> = [];
  for (let step = 0; step < steps; step++) {
    const m = compiled.step(images, { step, totalSteps: method.training.steps }, { paired });
    loss.push(m.loss);
    terms.push({ ...m.terms });
  }
  images.dispose();
  paired.dispose();
  compiled.dispose();
  return { loss, bits: loss.map(bits), terms };
};

const isMain =
  process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop()!);
if (isMain) {
  const steps = Number(process.argv[2] ?? 5);
  const out: Record<string, MethodLosses> = {};
  for (const name of methodNames) out[name] = await tinyLosses(name, steps);
  console.log(JSON.stringify(out, null, 2));
}
