/**
 * Initial parameter values, drawn in JavaScript from the seeded `Rng` and only then turned into
 * tensors (never `tf.random*`), so one seed gives bit-identical weights on wasm, cpu and
 * tensorflow. Each parameter draws from its own stream, `Rng.seeded(seed).fork(path)`, so adding a
 * parameter never shifts the values of the others.
 */
import type { InitScheme } from '../net.js';
import { Rng } from '../rng.js';

/** How one parameter starts. */
export type Init =
  | { readonly kind: 'const'; readonly value: number }
  | { readonly kind: 'uniform'; readonly bound: number }
  | { readonly kind: 'normal'; readonly std: number }
  /** Normal with draws outside +-2 std redrawn (timm/I-JEPA `trunc_normal_`; see `draw`). */
  | { readonly kind: 'truncNormal'; readonly std: number }
  /** A random unit vector (the spectral-norm power-iteration vector `u`). */
  | { readonly kind: 'unitNormal' };

/** Zeros (biases, LayerNorm/BatchNorm beta, running means). */
export const zeros: Init = { kind: 'const', value: 0 };
/** Ones (norm gamma, running variances). */
export const ones: Init = { kind: 'const', value: 1 };

/** Glorot/Xavier uniform: `U(+-sqrt(6 / (fanIn + fanOut)))` (MoCo v3 ViT linears and patch embedding). */
export const xavierUniform = (fanIn: number, fanOut: number): Init => ({
  kind: 'uniform',
  bound: Math.sqrt(6 / (fanIn + fanOut)),
});

/** He normal, fan-out mode: `N(0, 2 / fanOut)` (torchvision convnets; fanOut = k * k * out for convs). */
export const kaimingNormal = (fanOut: number): Init => ({
  kind: 'normal',
  std: Math.sqrt(2 / fanOut),
});

/** The initialiser a `Linear.init` scheme names, for a weight `[fanIn, fanOut]`. */
export const schemeInit = (scheme: InitScheme, fanIn: number, fanOut: number): Init => {
  switch (scheme) {
    case 'xavierUniform':
      return xavierUniform(fanIn, fanOut);
    case 'truncNormal02':
      return { kind: 'truncNormal', std: 0.02 };
    case 'kaimingNormal':
      return kaimingNormal(fanOut);
    case 'normal001':
      return { kind: 'normal', std: 0.01 };
    case 'default':
      // PyTorch nn.Linear: kaiming_uniform(a = sqrt 5) = U(+-1/sqrt(fanIn))
      return { kind: 'uniform', bound: 1 / Math.sqrt(fanIn) };
  }
};

/**
 * One draw. Truncation: I-JEPA calls `trunc_normal_(std=0.02)` whose bounds default to +-2 in
 * absolute units (a plain normal at that std); we truncate at +-2 std, which redraws ~4.6% of values.
 */
const draw = (init: Init, rng: Rng): number => {
  switch (init.kind) {
    case 'const':
      return init.value;
    case 'uniform':
      return rng.uniform(-init.bound, init.bound);
    case 'normal':
      return init.std * rng.normal();
    case 'truncNormal': {
      for (;;) {
        const z = rng.normal();
        if (Math.abs(z) <= 2) return init.std * z;
      }
    }
    case 'unitNormal':
      return rng.normal();
  }
};

/** The values of one parameter of `shape`, from `seed` and its `path`. */
export const initValues = (
  init: Init,
  shape: ReadonlyArray<number>,
  seed: number,
  path: string,
): Float32Array => {
  const n = shape.reduce((a, b) => a * b, 1);
  const rng = Rng.seeded(seed).fork(path);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = draw(init, rng);
  if (init.kind === 'unitNormal') {
    const norm = Math.sqrt(out.reduce((s, v) => s + v * v, 0)) || 1;
    for (let i = 0; i < n; i++) out[i] = out[i]! / norm;
  }
  return out;
};
