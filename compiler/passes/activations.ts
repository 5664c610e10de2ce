/**
 * How many float32 elements a net application keeps for its backward pass (the "activations"),
 * estimated from the net's structure and its input type. Used by memory planning (pass 8).
 *
 * The rule per layer is what reverse-mode autodiff must save: a linear layer keeps its input
 * and output, a norm its input, normalised value and output, an activation its input and output,
 * attention its q, k, v, scores and probabilities. Composite nets without a rule here (U-Net,
 * SPADE, GAN parts) count `COMPOSITE_FACTOR` tensors the size of each parameterised layer's
 * output, approximated from the net's output: a documented rough estimate.
 */
import type { NetNode } from '../ir/net.js';
import type { ValueType } from '../ir/types.js';
import { evalDim, type DimEnv } from './shapes/dims.js';
import { inferNet } from './shapes/net.js';

/** Elements of a value (a struct: the sum of its fields). */
export const elementsOf = (t: ValueType | undefined, env: DimEnv): number => {
  if (t === undefined) return 0;
  if (t._tag === 'Struct')
    return Object.values(t.fields).reduce((s, f) => s + elementsOf(f, env), 0);
  return t.shape.reduce<number>((p, d) => p * (typeof d === 'number' ? d : safeEval(d, env)), 1);
};

const safeEval = (d: string, env: DimEnv): number => {
  try {
    return evalDim(d, env);
  } catch {
    return env['B'] ?? 1;
  }
};

/** Tensors per element-wise activation kept by the tape (erf-GELU is a chain of ~6 ops). */
const ACTIVATION_TENSORS: Readonly<Record<string, number>> = { gelu: 6, silu: 3, softplus: 3 };

/** Saved tensors per output element for composite nets without a structural rule. */
export const COMPOSITE_FACTOR = 8;

/** Elements saved by one transformer block on `rows` tokens of width `dim`, `groups x count x count` attention. */
const blockElements = (rows: number, dim: number, mlpRatio: number, attention: number): number => {
  const t = rows * dim;
  const hidden = t * mlpRatio;
  // LN1 (3T), qkv in/out (T + 3T), head split (3T), scores + softmax (2 attention), out (T),
  // proj in/out (2T), residual (T), LN2 (3T), fc1 in/out (T + hidden), GELU (6 hidden), fc2 (hidden + T), residual (T)
  return 19 * t + 8 * hidden + 2 * attention;
};

/**
 * Saved elements of `net` applied to an input whose batch-like leading size is `rows` (all
 * leading axes multiplied) and whose feature size is the last axis. `outElements` is the size of
 * the net's output, used by the composite fallback.
 */
export const savedElements = (
  net: NetNode,
  input: ValueType | undefined,
  outElements: number,
  env: DimEnv,
): number => {
  const inElements = elementsOf(input, env);
  const batch = input?._tag === 'Tensor' ? safeEval(String(input.shape[0]), env) : (env['B'] ?? 1);
  switch (net._tag) {
    case 'Linear':
      return inElements + outElements;
    case 'Mlp': {
      const rows = inElements / net.in;
      const widths = Array.from({ length: net.layers }, (_, i) =>
        i === net.layers - 1 ? net.out : net.hidden,
      );
      return (
        inElements +
        widths.reduce(
          (s, w, i) =>
            s + rows * w * (i === net.layers - 1 ? (net.lastNorm === 'none' ? 1 : 4) : 6),
          0,
        )
      );
    }
    case 'Norm':
      return 3 * inElements;
    case 'Activation':
      return (ACTIVATION_TENSORS[net.fn] ?? 2) * inElements;
    case 'TransformerBlock': {
      const rows = inElements / net.dim;
      const count = input?._tag === 'Tensor' ? safeEval(String(input.shape[1]), env) : 1;
      return blockElements(rows, net.dim, net.mlpRatio, batch * net.heads * count * count);
    }
    case 'Vit': {
      const tokens = (net.imageSize / net.patch) ** 2 + (net.cls ? 1 : 0);
      const rows = batch * tokens;
      return (
        inElements +
        3 * rows * net.dim +
        net.depth * blockElements(rows, net.dim, net.mlpRatio, batch * net.heads * tokens * tokens)
      );
    }
    case 'Sequential':
      return sequentialElements(net.layers, input, env);
    case 'Pool':
    case 'Field':
    case 'L2Normalize':
    case 'Flatten':
      return inElements + outElements;
    default:
      return inElements + COMPOSITE_FACTOR * outElements;
  }
};

/** A Sequential's layers one after the other, each with its own input type. */
const sequentialElements = (
  layers: ReadonlyArray<NetNode>,
  input: ValueType | undefined,
  env: DimEnv,
): number => {
  let current = input;
  let saved = 0;
  for (const layer of layers) {
    const info =
      current === undefined
        ? undefined
        : inferNet(layer, { x: current }, [], env['B'] ?? 1, { dims: env });
    const output = info !== undefined && info._tag === 'Right' ? info.right.output : undefined;
    saved += savedElements(layer, current, elementsOf(output, env), env);
    current = output;
  }
  return saved;
};
