/**
 * A research script as a user of the installed package writes it (`.ci/consumer.sh` copies this
 * folder into an empty project that installed the packed tarball, type-checks it with tsc and
 * runs it): compose MoCo v3 with the DSL, check it, compile it and train one step.
 */
import {
  Aug,
  Branch,
  checkMethod,
  compile,
  Loss,
  Method,
  Net,
  Optim,
  Predictor,
  renderIssues,
  Schedule,
  Value,
  View,
  type MethodSpec,
} from 'tessera';

const backbone = Branch.make(
  'backbone',
  Net.vit({ imageSize: 16, patch: 4, dim: 32, depth: 1, heads: 2 }),
);
const projector = Branch.make(
  'projector',
  Net.mlp({ in: 32, hidden: 64, out: 32, layers: 2, lastNorm: 'batchNoAffine' }),
);
const predictor = Branch.make(
  'predictor',
  Predictor.mlp({ in: 32, hidden: 64, layers: 2, lastNorm: 'batchNoAffine' }),
);
const momentum = Schedule.cosine({ from: 0.99, to: 1 });
const keyBackbone = Branch.ema('keyBackbone', backbone, { momentum });
const keyProjector = Branch.ema('keyProjector', projector, { momentum });
const views = View.pair(Value.images(), {
  options: [{ blur: 1 }, { blur: 0.1 }],
  pipeline: (o) => [
    Aug.randomResizedCrop({ size: 16, scale: [0.2, 1] }),
    Aug.gaussianBlur({ sigma: [0.1, 0.5], p: o.blur }),
    Aug.horizontalFlip({ p: 0.5 }),
  ],
});
const ctr = Loss.symmetric({
  name: 'ctr',
  pair: views,
  make: (a, b) =>
    Loss.infoNCE({
      query: predictor.apply(projector.apply(backbone.apply(a))),
      key: Branch.stopGradient(keyProjector.apply(keyBackbone.apply(b))),
      temperature: 0.2,
      scale: 'twoTau',
    }),
});
const method: MethodSpec = Method.make({
  name: 'consumer-moco',
  input: { size: 16 },
  training: { batch: 4, steps: 10 },
  representations: { backbone: backbone.apply(Value.images()) },
  objectives: [
    {
      name: 'contrastive',
      terms: ctr,
      optimizer: Optim.adamw({
        lr: Schedule.warmupCosine({ warmup: 0.1, peak: 1e-3 }),
        weightDecay: 0.05,
      }),
    },
  ],
});

const checked = checkMethod(method);
if (checked._tag === 'Left') throw new Error(renderIssues(checked.left, method.name));
console.log(`checked ${method.name}: ${checked.right.nodes.length} nodes`);

const step = await compile(method, { backend: 'wasm' });
step.init(0);
const tf = await import('@tensorflow/tfjs');
const images = tf.randomUniform(
  [4, 16, 16, 3],
  0,
  1,
  'float32',
  1,
) as import('@tensorflow/tfjs').Tensor4D;
const metrics = step.step(images, { step: 0, totalSteps: 1 });
images.dispose();
step.dispose();
if (!Number.isFinite(metrics.loss)) throw new Error(`loss is ${metrics.loss}`);
console.log(
  `consumer step: loss ${metrics.loss.toFixed(4)} (${Object.keys(metrics.terms).join(', ')})`,
);
