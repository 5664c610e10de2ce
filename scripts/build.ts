/**
 * Builds the package into `dist/`: the library (`index.js` ESM, `index.cjs` CJS), the CLI
 * (`cli.js` and its chunks; commands that compute are separate chunks loaded on demand), and
 * `sources/`, the TypeScript files `tessera compile --emit` embeds (`codegen/sources.ts`).
 * With `--types` (and always under `npm pack` / `npm publish`) also the declarations
 * (`index.d.ts`, `index.d.cts`), which take most of the time; `npm ci` in a checkout skips them.
 *
 *   npx tsx scripts/build.ts [--types]
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { build, type Options } from 'tsup';
import { sourceFiles, SOURCES_DIR } from '../codegen/sources.js';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
const types =
  process.argv.includes('--types') ||
  ['pack', 'publish'].includes(process.env['npm_command'] ?? '');

/** Packages loaded from node_modules at run time, never bundled. */
const EXTERNAL = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  'sharp',
  'ts-morph',
  'fp-ts',
  'io-ts',
];

const shared: Options = {
  config: false,
  target: 'node20',
  platform: 'node',
  shims: true,
  clean: false,
  silent: true,
  external: EXTERNAL,
  outDir: dist,
};

/** Empties `dist/`; a build without types keeps the declarations of an earlier one. */
const clean = async (): Promise<void> => {
  const entries = await fs.readdir(dist).catch(() => []);
  for (const e of entries)
    if (types || !/\.d\.c?ts$/.test(e))
      await fs.rm(path.join(dist, e), { recursive: true, force: true });
};

/** Copies the sources `compile --emit` embeds to `dist/sources/`, keeping their paths. */
const copySources = async (): Promise<number> => {
  const files = sourceFiles(root);
  for (const f of files) {
    await fs.mkdir(path.join(dist, SOURCES_DIR, path.dirname(f)), { recursive: true });
    await fs.copyFile(path.join(root, f), path.join(dist, SOURCES_DIR, f));
  }
  return files.length;
};

/** Copies the PyTorch peer of `bench step --peer torch` (`bench/peers/*.py`) to `dist/peers/`, next to the chunk that spawns it. */
const copyPeers = async (): Promise<void> => {
  const from = path.join(root, 'bench', 'peers');
  await fs.mkdir(path.join(dist, 'peers'), { recursive: true });
  for (const f of (await fs.readdir(from)).filter((n) => n.endsWith('.py')))
    await fs.copyFile(path.join(from, f), path.join(dist, 'peers', f));
};

const t0 = performance.now();
await clean();
await Promise.all([
  build({
    ...shared,
    entry: { index: 'index.ts', cli: 'cli/main.ts' },
    format: ['esm'],
    splitting: true,
    dts: types ? { entry: { index: 'index.ts' } } : false,
  }),
  build({ ...shared, entry: { index: 'index.ts' }, format: ['cjs'] }),
]);
if (types) await fs.copyFile(path.join(dist, 'index.d.ts'), path.join(dist, 'index.d.cts'));
const copied = await copySources();
await copyPeers();
console.log(
  `built dist/ (library ESM + CJS, CLI${types ? ', types' : ''}; ${copied} sources for compile --emit) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
