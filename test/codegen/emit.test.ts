/**
 * The emitted step module (`emitStep`) against `compile(...)`: MoCo v3 `tiny` at batch 4 is
 * emitted into a temporary folder of the checkout (so `@tensorflow/tfjs` resolves), type-checked
 * with the TypeScript compiler API (strict, no errors), imported, and run for two steps from the
 * same seed on the same batch as the compiled method on wasm: same losses and same parameters.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { Node, Project } from 'ts-morph';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { emitStepModule, type EmittedStep } from '../../codegen/emit.js';
import { compile, compileGraph } from '../../runtime/compile.js';
import type { CompiledMethod } from '../../runtime/compiled.js';
import { mocoV3 } from '../../library/mocoV3.js';
import { useBackend } from '../../runtime/backend.js';

const root = path.resolve(import.meta.dirname, '../..');
const spec = mocoV3({ preset: 'tiny', backbone: 'vit', batch: 4 });

interface StepModule {
  readonly createStep: () => CompiledMethod;
  readonly selectBackend: (name?: string) => Promise<void>;
  readonly BACKEND: string;
  readonly SOURCES: ReadonlyArray<string>;
}

let dir: string;
let file: string;
let emitted: EmittedStep;

beforeAll(async () => {
  await useBackend('wasm');
  emitted = emitStepModule(compileGraph(spec));
  dir = await fs.mkdtemp(path.join(root, '.codegen-test-'));
  file = path.join(dir, 'step.tmp.ts');
  await fs.writeFile(file, emitted.source);
});

afterAll(async () => {
  if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true });
});

/** Every module specifier of the emitted file: static imports, re-exports, import() and require(). */
const specifiers = (source: string): ReadonlyArray<string> => {
  const f = new Project({ useInMemoryFileSystem: true }).createSourceFile('/step.ts', source);
  return [
    ...f.getImportDeclarations().map((d) => d.getModuleSpecifierValue()),
    ...f.getExportDeclarations().flatMap((d) => d.getModuleSpecifierValue() ?? []),
    ...f
      .getDescendants()
      .flatMap((n) =>
        Node.isCallExpression(n) && ['import', 'require'].includes(n.getExpression().getText())
          ? [n.getArguments()[0]?.getText() ?? '?']
          : [],
      ),
  ];
};

describe('emitStep (MoCo v3 tiny)', () => {
  test('imports only TF.js and embeds the lowering sources and the graph', () => {
    expect([...new Set(specifiers(emitted.source))].sort()).toEqual([
      '@tensorflow/tfjs',
      '@tensorflow/tfjs-backend-wasm',
    ]);
    expect(emitted.imports).toEqual(['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']);
    expect(emitted.files).toContain('runtime/compiled.ts');
    expect(emitted.files).toContain('compiler/lower/nets/transformer.ts');
    expect(
      emitted.files.some(
        (f) => f.startsWith('dsl/') || f.startsWith('cli/') || f.startsWith('library/'),
      ),
    ).toBe(false);
    // each file is one namespace, declared after the ones it reads at load time
    expect(emitted.source.match(/^namespace \w+ \{$/gm)).toHaveLength(emitted.files.length);
    expect(emitted.files.indexOf('compiler/lower/nets/rule.ts')).toBeLessThan(
      emitted.files.indexOf('compiler/lower/nets/index.ts'),
    );
    expect(emitted.source).toContain('"name": "moco-v3"');
  });

  test('is pruned to the rules and files the graph reaches', () => {
    const entries = emitted.pruned?.entries ?? [];
    expect(entries).toEqual(
      expect.arrayContaining([
        'netRules.ResNet',
        'netRules.Generator',
        'lossKernels.SlicedWasserstein',
        'lossKernels.MaskedTokenL2',
      ]),
    );
    for (const used of ['netRules.Vit', 'netRules.Mlp', 'lossKernels.InfoNCE'])
      expect(entries).not.toContain(used);
    expect(emitted.source).toContain('ResNet: codegenPruned("net kind \\"ResNet\\"")');
    for (const gone of [
      'compiler/lower/nets/unet.ts',
      'compiler/lower/nets/gan.ts',
      'compiler/lower/losses/texture.ts',
    ])
      expect(emitted.files).not.toContain(gone);
    expect(emitted.pruned?.statements).toBeGreaterThan(0);
  });

  test('type-checks under strict settings with no errors', () => {
    const program = ts.createProgram([file], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts'],
      types: [],
      strict: true,
      noUncheckedIndexedAccess: true,
      noImplicitOverride: true,
      isolatedModules: true,
      skipLibCheck: true,
      noEmit: true,
    });
    const errors = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(errors).toEqual([]);
  });

  test('runs two steps with the same losses and parameters as compile() on the same seed and batch', async () => {
    const mod = (await import(pathToFileURL(file).href)) as StepModule;
    expect(mod.BACKEND).toBe('wasm');
    expect(mod.SOURCES).toEqual(emitted.files);
    await mod.selectBackend();
    expect(tf.getBackend()).toBe('wasm');
    const reference = await compile(spec, { backend: 'wasm' });
    const standalone = mod.createStep();
    reference.init(3);
    standalone.init(3);
    const images = tf.randomUniform([4, 32, 32, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    for (const step of [0, 1]) {
      const a = reference.step(images, { step, totalSteps: 10 });
      const b = standalone.step(images, { step, totalSteps: 10 });
      expect(Math.abs(a.loss - b.loss)).toBeLessThanOrEqual(1e-5);
      expect(Object.keys(b.terms).sort()).toEqual(Object.keys(a.terms).sort());
      expect(b.lr).toEqual(a.lr);
      expect(b.ema).toEqual(a.ema);
    }
    expect(tf.memory().numTensors).toBe(before);
    const va = reference.variables();
    const vb = standalone.variables();
    expect(Object.keys(vb).sort()).toEqual(Object.keys(va).sort());
    let worst = 0;
    for (const [name, v] of Object.entries(va)) {
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(v, vb[name]!))).dataSync()[0]!);
      worst = Math.max(worst, d);
    }
    expect(worst).toBeLessThanOrEqual(1e-6);
    // the step moved the weights (the comparison is not between two untouched initialisations)
    const init = await compile(spec, { backend: 'wasm' });
    init.init(3);
    const moved = Object.keys(va)
      .filter((k) => k.startsWith('backbone/'))
      .map((k) =>
        tf.tidy(() => tf.max(tf.abs(tf.sub(init.variables()[k]!, vb[k]!))).dataSync()[0]!),
      );
    expect(Math.max(...moved)).toBeGreaterThan(0);
    [reference, standalone, init].forEach((m) => m.dispose());
    images.dispose();
  });
});
