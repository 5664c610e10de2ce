/**
 * Parameter storage of a compiled method: one table of TF.js variables per module (weights and
 * buffers), created from the seeded initialisers of `nets/`; EMA modules start as copies of their
 * source. Names are `module/path` when flattened (checkpoints, export).
 */
import * as tf from '@tensorflow/tfjs';
import type { ModuleInfo, ParamInfo } from '../compiler/ir/graph.js';
import type { NetNode } from '../compiler/ir/net.js';
import type { ModuleDecl } from '../compiler/ir/node.js';
import { initNet } from '../compiler/lower/nets/index.js';

/** The variables of one module. */
export interface ModuleVars {
  readonly decl: ModuleDecl;
  readonly info: ReadonlyArray<ParamInfo>;
  readonly vars: Readonly<Record<string, tf.Variable>>;
}

/** All modules' variables, by module name. */
export type ParamStore = ReadonlyMap<string, ModuleVars>;

/** A stable per-module seed derived from the run seed and the module name. */
const moduleSeed = (seed: number, name: string): number => {
  let h = seed >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return h & 0x7fffffff;
};

/**
 * Parameter-path prefixes a net keeps at their initial values: a ViT with `stopGradPatchEmbed`
 * (MoCo v3's `stop_grad_conv1`: the patch projection is excluded from the optimizer, so weight
 * decay never touches it either), found through Sequential children.
 */
export const netFrozenPrefixes = (net: NetNode, prefix = ''): ReadonlyArray<string> => {
  if (net._tag === 'Vit' && net.stopGradPatchEmbed) return [`${prefix}patchEmbed.`];
  if (net._tag === 'Sequential')
    return net.layers.flatMap((l, i) => netFrozenPrefixes(l, `${prefix}${i}.`));
  return [];
};

/** Creates every module's variables. EMA modules copy their source's initial values. */
export const createStore = (modules: ReadonlyArray<ModuleInfo>, seed: number): ParamStore => {
  const store = new Map<string, ModuleVars>();
  const initial = new Map<string, Record<string, tf.Tensor>>();
  for (const m of modules) {
    if (m.decl.ema === undefined)
      initial.set(m.decl.name, initNet(m.decl.net, moduleSeed(seed, m.decl.name)));
  }
  for (const m of modules) {
    const source = m.decl.ema === undefined ? m.decl.name : m.decl.ema.source;
    const values = initial.get(source) ?? initNet(m.decl.net, moduleSeed(seed, m.decl.name));
    const prefixes = [...m.decl.frozen, ...netFrozenPrefixes(m.decl.net)];
    const frozen = (path: string): boolean => prefixes.some((prefix) => path.startsWith(prefix));
    const info = m.params ?? [];
    const bufferPaths = new Set(info.filter((p) => p.buffer).map((p) => p.path));
    const vars = Object.fromEntries(
      Object.entries(values).map(([path, t]) => [
        path,
        tf.variable(t, m.decl.ema === undefined && !bufferPaths.has(path) && !frozen(path)),
      ]),
    );
    store.set(m.decl.name, { decl: m.decl, info, vars });
  }
  for (const values of initial.values()) Object.values(values).forEach((t) => t.dispose());
  return store;
};

/** The variables an objective trains: trainable (not buffer, not frozen) variables of its modules. */
export const trainableOf = (
  store: ParamStore,
  modules: ReadonlyArray<string>,
): Record<string, tf.Variable> => {
  const out: Record<string, tf.Variable> = {};
  for (const name of modules) {
    const m = store.get(name);
    if (m === undefined) continue;
    for (const [path, v] of Object.entries(m.vars)) if (v.trainable) out[`${name}/${path}`] = v;
  }
  return out;
};

/** Flattened `module/path -> variable` view of the whole store (checkpoints). */
export const flattenStore = (store: ParamStore): Record<string, tf.Variable> => {
  const out: Record<string, tf.Variable> = {};
  for (const [name, m] of store)
    for (const [path, v] of Object.entries(m.vars)) out[`${name}/${path}`] = v;
  return out;
};

/** Disposes every variable. */
export const disposeStore = (store: ParamStore): void => {
  for (const m of store.values()) Object.values(m.vars).forEach((v) => v.dispose());
};
