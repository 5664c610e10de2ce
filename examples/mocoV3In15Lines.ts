/**
 * MoCo v3 in 15 lines of the DSL (a small ViT for 32x32 images), checked and trained for a few
 * steps on the built-in appearance data. Run: `npx tsx examples/mocoV3In15Lines.ts`.
 */
import {
  Aug,
  Branch,
  Loss,
  Method,
  Net,
  Optim,
  Predictor,
  Schedule,
  Value,
  View,
} from '../index.js';

const backbone = Branch.make(
  'backbone',
  Net.vit({ imageSize: 32, patch: 4, dim: 64, depth: 3, heads: 4 }),
);
const projector = Branch.make(
  'projector',
  Net.mlp({ in: 64, hidden: 256, out: 64, layers: 3, lastNorm: 'batchNoAffine' }),
);
const predictor = Branch.make(
  'predictor',
  Predictor.mlp({ in: 64, hidden: 256, layers: 2, lastNorm: 'batchNoAffine' }),
);
const momentum = Schedule.cosine({ from: 0.99, to: 1 });
const [keyBackbone, keyProjector] = [
  Branch.ema('keyBackbone', backbone, { momentum }),
  Branch.ema('keyProjector', projector, { momentum }),
];
const views = View.pair(Value.images(), {
  options: [
    { blur: 1, solarize: 0 },
    { blur: 0.1, solarize: 0.2 },
  ],
  pipeline: (o) => [
    Aug.randomResizedCrop({ size: 32, scale: [0.08, 1] }),
    Aug.colorJitter({ p: 0.8 }),
    Aug.gaussianBlur({ sigma: [0.1, 0.5], p: o.blur }),
    Aug.solarize({ p: o.solarize }),
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
export const method = Method.make({
  name: 'moco-v3-mini',
  input: { size: 32 },
  training: { batch: 32, steps: 300 },
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

const main = async (): Promise<void> => {
  const { appearanceDataset, checkOrThrow, compile, printGraph, Rng } = await import('../index.js');
  console.log(printGraph(checkOrThrow(method)));
  const moco = await compile(method, { backend: 'wasm' });
  moco.init(0);
  const batches = appearanceDataset({ n: 256, size: 32 }).batches(32, Rng.seeded(0));
  for (let step = 0; step < 8; step++) {
    const { value } = await batches.next();
    console.log(
      `step ${step}: loss ${moco.step(value!.images, { step, totalSteps: 8 }).loss.toFixed(4)}`,
    );
    value!.images.dispose();
  }
};

if (import.meta.url === `file://${process.argv[1]}`) await main();
