/**
 * The names of tessera's TF.js backends, without loading TF.js (the CLI validates `--backend`
 * before anything computes). `runtime/backend.ts` starts them.
 */

/** The backends tessera runs on. */
export type BackendName = 'wasm' | 'cpu' | 'tensorflow';

/** All backend names, for CLI validation. */
export const BACKENDS: ReadonlyArray<BackendName> = ['wasm', 'cpu', 'tensorflow'];
