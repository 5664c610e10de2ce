/** Checkpoints: `.safetensors` files, atomic writes, save / load with fallback. */
export * from './safetensors.js';
export * from './atomicWrite.js';
export * from './checkpoint.js';
export { canonicalJson, specHash } from '../specHash.js';
