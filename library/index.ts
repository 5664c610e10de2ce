/**
 * The method library: every built-in method by its CLI name. `methods[name](preset)` returns the
 * method's IR value (plain JSON data). Names and signatures are stable (the CLI depends on them).
 */
import type { Method } from '../compiler/ir/node.js';
import { ijepa } from './ijepa.js';
import { mocoV3 } from './mocoV3.js';
import { stStorm } from './stStorm.js';

export { mocoV3, type MocoV3Options } from './mocoV3.js';
export { ijepa, type IjepaOptions } from './ijepa.js';
export { stStorm, type StStormOptions } from './stStorm.js';

/** The presets every library method offers. */
export type Preset = 'paper' | 'tiny';

/** The CLI names of the library methods. */
export type MethodName = 'moco-v3' | 'i-jepa' | 'st-storm';

/** Every library method by name; each takes a preset (default `paper`). */
export const methods: Readonly<Record<MethodName, (preset?: Preset) => Method>> = {
  'moco-v3': (preset = 'paper') => mocoV3({ preset }),
  'i-jepa': (preset = 'paper') => ijepa({ preset }),
  'st-storm': (preset = 'paper') => stStorm({ preset }),
};

/** The method names, for `--help` texts and error hints. */
export const methodNames: ReadonlyArray<MethodName> = ['moco-v3', 'i-jepa', 'st-storm'];

/** True when `name` is a library method name. */
export const isMethodName = (name: string): name is MethodName =>
  (methodNames as ReadonlyArray<string>).includes(name);
