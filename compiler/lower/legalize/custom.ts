/**
 * A typed front to `tf.customGrad`: TF.js types its callback with a variadic union, which hides
 * the argument structure. Legal kernels use this to state their own gradients.
 */
import * as tf from '@tensorflow/tfjs';

/** A forward value and the function that maps its output gradient to the inputs' gradients. */
export interface ValueAndGrad<T extends tf.Tensor> {
  readonly value: T;
  readonly gradFunc: (dy: T, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
}

/**
 * `withGrad(f)(...inputs)`: computes `f(inputs, save).value`, differentiated by its `gradFunc`
 * (one gradient per input, in order). `save` keeps tensors alive until the backward pass.
 */
export const withGrad =
  <T extends tf.Tensor>(f: (inputs: tf.Tensor[], save: tf.GradSaveFunc) => ValueAndGrad<T>) =>
  (...inputs: tf.Tensor[]): T =>
    tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const r = f(args.slice(0, -1) as tf.Tensor[], save);
      return {
        value: r.value,
        gradFunc: r.gradFunc as (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
      };
    })(...inputs) as T;
