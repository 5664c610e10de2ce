/**
 * Size limits of a spec, machine-independent: what no TF.js backend here can hold. The codec caps
 * single numbers (`MAX_SIZE`, `MAX_REPEATS` in `codecs/primitives.ts`), `depth.ts` the nesting,
 * and the `limits` pass these totals after shape inference.
 */

/** Most float32 elements of one tensor (2^30, 4 GiB: the wasm heap's whole address space). */
export const MAX_TENSOR_ELEMENTS = 2 ** 30;
/**
 * Most parameters of a method, all modules together (2^32: 16 GiB of float32 weights before
 * optimizer state; I-JEPA's paper preset, ViT-H/14 with its EMA target, has 1.3e9).
 */
export const MAX_PARAMETERS = 2 ** 32;
