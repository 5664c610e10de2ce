/** Runs one step of the module `tessera compile --emit step.ts` wrote (imports only TF.js). */
import * as tf from '@tensorflow/tfjs';
import { createStep, graph, selectBackend, SOURCES } from './step.js';

await selectBackend();
const step = createStep();
step.init(0);
const { size } = graph.method.input;
const batch = graph.method.training.batch;
const images = tf.randomUniform([batch, size, size, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
const metrics = step.step(images, { step: 0, totalSteps: 1 });
images.dispose();
step.dispose();
if (!Number.isFinite(metrics.loss)) throw new Error(`loss is ${metrics.loss}`);
console.log(
  `emitted step (${SOURCES.length} embedded sources, ${tf.getBackend()}): loss ${metrics.loss.toFixed(4)}`,
);
