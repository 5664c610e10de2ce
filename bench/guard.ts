/**
 * Cost of the non-finite guard (issue 12): a plain compiled step vs the guarded step (zero-copy
 * snapshot + one fused finiteness reduction over the whole state), alternating A/B on the same
 * compiled method, medians. Run: `npx tsx bench/guard.ts [moco-v3|i-jepa|st-storm] [pairs]`.
 */
import * as tf from '@tensorflow/tfjs';
import { methods, type MethodName } from '../library/index.js';
import { useBackend } from '../runtime/backend.js';
import { compile } from '../runtime/compile.js';
import { guardedStep } from '../runtime/finiteGuard.js';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const main = async (): Promise<void> => {
  const name = (process.argv[2] ?? 'moco-v3') as MethodName;
  const pairs = Number(process.argv[3] ?? 5);
  await useBackend('wasm');
  const method = methods[name]('tiny');
  const compiled = await compile(method, { backend: 'wasm' });
  compiled.init(0);
  const s = method.input.size;
  const images = tf.randomUniform([method.training.batch, s, s, 3]) as tf.Tensor4D;
  // the other pseudo-domain fold's batch (read by ST-STORM; ignored by the others)
  const inputs = { paired: tf.randomUniform([method.training.batch, s, s, 3]) as tf.Tensor4D };
  const [plain, guarded]: [number[], number[]] = [[], []];
  for (let i = 0; i < pairs + 1; i++) {
    let t = performance.now();
    compiled.step(images, { step: 2 * i, totalSteps: 1000 }, inputs);
    if (i > 0) plain.push(performance.now() - t);
    t = performance.now();
    guardedStep(compiled, images, { step: 2 * i + 1, totalSteps: 1000 }, inputs);
    if (i > 0) guarded.push(performance.now() - t);
  }
  const tensors =
    Object.keys(compiled.variables()).length + Object.keys(compiled.optimizerState()).length;
  console.log(
    `${name} tiny (batch ${method.training.batch}, ${tensors} state tensors): plain ${median(plain).toFixed(1)} ms, guarded ${median(guarded).toFixed(1)} ms, ratio ${(median(guarded) / median(plain)).toFixed(3)} (medians of ${pairs})`,
  );
  images.dispose();
  inputs.paired.dispose();
  compiled.dispose();
};

await main();
