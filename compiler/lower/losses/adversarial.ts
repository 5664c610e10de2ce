/**
 * Adversarial loss kernels (ST-STORM): LSGAN generator and discriminator sides, the R1 gradient
 * penalty (a gradient of the discriminator inside the loss: the runtime differentiates through
 * it, a second-order gradient) and the SPADE gate regulariser read from module parameters.
 */
import * as tf from '@tensorflow/tfjs';
import type { LsganDiscriminator, LsganGenerator, R1, SpadeGate } from '../../ir/loss.js';
import { inputTensor, type LossKernel, type Lowered } from './context.js';

/**
 * LSGAN generator side `mean((D(fake) - 1)^2)`.
 * @param fake discriminator logits on generated images, any shape (PatchGAN: `[B, h, w, 1]`)
 * @see [0] Mao et al. Least Squares Generative Adversarial Networks. ICCV 2017.
 */
export const lsganGeneratorKernel: LossKernel<LsganGenerator> = (_loss, inputs) =>
  tf.tidy(() => tf.mean(tf.square(tf.sub(inputTensor(inputs, 'fake', 'LsganGenerator'), 1))));

/**
 * LSGAN discriminator side `mean((D(real) - 1)^2) + mean(D(fake)^2)`.
 * @param real, fake discriminator logits, any shapes
 * @see [1] Hamedkiri/RT-STORM-V2 `helpers.py` `d_loss_and_stats` (non-hinge branch).
 */
export const lsganDiscriminatorKernel: LossKernel<LsganDiscriminator> = (_loss, inputs) =>
  tf.tidy(() =>
    tf.add(
      tf.mean(tf.square(tf.sub(inputTensor(inputs, 'real', 'LsganDiscriminator'), 1))),
      tf.mean(tf.square(inputTensor(inputs, 'fake', 'LsganDiscriminator'))),
    ),
  );

/** The single tensor a discriminator returns. */
const logitsOf = (v: Lowered, module: string): tf.Tensor => {
  if (v instanceof tf.Tensor) return v;
  throw new Error(
    `R1: module "${module}" returned a struct { ${Object.keys(v).join(', ')} }; expected logits`,
  );
};

/**
 * R1 penalty `0.5 gamma mean_b |grad_x sum D(x)|^2` on real images (squared norm over each
 * image), applied when `step % every == 0` and 0 otherwise (RT-STORM does not rescale by
 * `every`). `D` is `ctx.module(loss.module).apply({ x })`; the inner gradient is `tf.grad`, so the
 * penalty stays differentiable with respect to D's parameters (double backprop: every op of D
 * needs a second-order gradient on the backend in use).
 *
 * TF.js 4.22 caveat (measured): second-order gradients are WRONG through ops whose gradient reads
 * their saved output (tanh, sigmoid, exp: the engine saves an off-tape clone), and fail outright
 * through comparisons (`leakyRelu`, `where`, `maximum`: "no gradient for Greater"). A discriminator
 * for R1 must use ops whose gradients read their inputs: conv, matMul, relu, softplus, sqrt
 * (InstanceNorm), with LeakyReLU written as `relu(x) - alpha relu(-x)`; all were checked against
 * finite differences on cpu and wasm.
 *
 * @param real images `[B, H, W, C]`
 * @see [0] Mescheder et al. Which Training Methods for GANs do actually Converge? ICML 2018.
 * @see [1] Hamedkiri/RT-STORM-V2 `helpers.py` `d_loss_and_stats` (`do_r1`).
 */
export const r1Kernel: LossKernel<R1> = (loss, inputs, ctx) => {
  const real = inputTensor(inputs, 'real', 'R1');
  if (loss.every > 1 && ctx.step % loss.every !== 0) return tf.scalar(0);
  const d = ctx.module(loss.module);
  return tf.tidy(() => {
    const g = tf.grad((x: tf.Tensor) => tf.sum(logitsOf(d.apply({ x }), loss.module)))(real);
    const perImage = tf.sum(tf.reshape(tf.square(g), [g.shape[0]!, -1]), 1);
    return tf.mul(0.5 * loss.gamma, tf.mean(perImage)) as tf.Scalar;
  });
};

/**
 * Where SPADE gate scalars live: a SpadeResBlock's SPADE layers have a parameter `gates` `[4]` =
 * `(a_gamma_s, a_gamma_g, a_beta_s, a_beta_g)` (compiler/ir/params/README.md), so every
 * parameter whose path is `gates` or ends with `.gates` is one SPADE layer.
 */
export const SPADE_GATES_PARAM = 'gates';

/** The gate vectors `[4]` of a module's SPADE layers, by path, in path order. */
export const spadeGateParams = (
  params: Readonly<Record<string, tf.Tensor>>,
): Array<[string, tf.Tensor]> =>
  Object.keys(params)
    .filter((p) => p === SPADE_GATES_PARAM || p.endsWith(`.${SPADE_GATES_PARAM}`))
    .sort()
    .map((p) => [p, params[p]!]);

/**
 * ST-STORM's SPADE gate regulariser `mean_layers relu(margin softplus(a_gamma_s) -
 * softplus(a_gamma_g))` over every SPADE layer of `module` (margin 0.75): it keeps the style-token
 * gain at least `margin` times the content-map gain. Only the gamma gates enter. Throws when the
 * module has no SPADE gates.
 * @see [1] Hamedkiri/RT-STORM-V2 `helpers.py` `spade_gate_reg`.
 */
export const spadeGateKernel: LossKernel<SpadeGate> = (loss, _inputs, ctx) => {
  const gates = spadeGateParams(ctx.module(loss.module).params);
  if (gates.length === 0) {
    throw new Error(
      `SpadeGate: module "${loss.module}" has no SPADE gate parameters (paths ending in ".${SPADE_GATES_PARAM}")\nhint: apply the regulariser to a module containing SpadeResBlocks`,
    );
  }
  return tf.tidy(() => {
    const terms = gates.map(([path, g]) => {
      if (g.size !== 4) throw new Error(`SpadeGate: "${path}" has ${g.size} entries, expected 4`);
      const flat = tf.reshape(g, [4]);
      const spatial = tf.softplus(tf.slice(flat, [0], [1]));
      const token = tf.softplus(tf.slice(flat, [1], [1]));
      return tf.sum(tf.relu(tf.sub(tf.mul(loss.margin, spatial), token)));
    });
    return tf.div(tf.addN(terms), terms.length) as tf.Scalar;
  });
};
