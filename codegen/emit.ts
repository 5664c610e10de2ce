/**
 * `emitStep(graph, options)`: the source of ONE standalone TypeScript module that trains the
 * given checked graph, importing only TF.js. It is made from tessera's own lowering sources, not
 * from a second implementation: ts-morph collects the files `runtime/compiled.ts` needs
 * (`closure.ts`), each becomes a `namespace` (`namespace.ts`) in load order, and the graph is
 * embedded as a JSON constant. The module exports
 *
 * ```ts
 * import { createStep, selectBackend } from './step.js';
 * await selectBackend();                 // the backend it was emitted for (default wasm)
 * const step = createStep();             // same API and numbers as compile(...)'s CompiledMethod
 * step.init(0);
 * const metrics = step.step(images, { step: 0, totalSteps: 200 });
 * ```
 * Unsupported source patterns throw a `CodegenError` at emit time rather than emit broken code.
 */
import { Node, SyntaxKind, type Identifier, type SourceFile, type Statement } from 'ts-morph';
import type { Graph } from '../compiler/ir/graph.js';
import type { BackendName } from '../runtime/backendName.js';
import { CodegenError, collectUnits, TFJS, TFJS_WASM, type Unit } from './closure.js';
import { isEmptyUnit, namespaceText } from './namespace.js';
import { prune, PRUNED_HELPER, PRUNED_STAND_IN, type Pruned } from './prune.js';
import { openSources, sourceRoot } from './sources.js';

/** Options of `emitStep`. */
export interface EmitOptions {
  /** The backend `selectBackend()` picks by default (default `wasm`, which the module then imports); compile the graph for it (`compileGraph(spec, { backend })`). */
  readonly backend?: BackendName;
  /** Where tessera's sources are (default `sourceRoot()`: the checkout, or `dist/sources` of the installed package). */
  readonly root?: string;
  /** A name for the header comment (default: the method's name). */
  readonly name?: string;
  /** Drop the rules and code the graph cannot reach (`prune.ts`; default true). */
  readonly prune?: boolean;
}

/** An emitted module and what it contains. */
export interface EmittedStep {
  readonly source: string;
  /** The tessera source files embedded as namespaces, in load order. */
  readonly files: ReadonlyArray<string>;
  /** The packages the module imports. */
  readonly imports: ReadonlyArray<string>;
  readonly backend: BackendName;
  /** What pruning removed (undefined when `prune: false`). */
  readonly pruned: Pruned | undefined;
}

/** Module-scope names of the emitted module besides the namespaces. */
const FOOTER_NAMES = [
  'tf',
  PRUNED_HELPER,
  'graphData',
  'graph',
  'CompiledMethod',
  'StepMetrics',
  'BACKEND',
  'SOURCES',
  'selectBackend',
  'createStep',
];

/** Fails unless `value` survives `JSON.stringify` unchanged (the graph is embedded as JSON). */
const checkJson = (value: unknown, at: string): void => {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || Object.is(value, -0))
      throw new CodegenError(`graph${at} is ${value}, which JSON cannot hold`);
    return;
  }
  if (Array.isArray(value)) return value.forEach((v, i) => checkJson(v, `${at}[${i}]`));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) if (v !== undefined) checkJson(v, `${at}.${k}`);
    return;
  }
  throw new CodegenError(
    `graph${at} is a ${typeof value === 'object' ? (value as object).constructor.name : typeof value}, which JSON cannot hold`,
  );
};

/** Whether `id` names something declared outside the closure (a global): module-scope names would capture it. */
const isFreeReference = (id: Identifier, closure: ReadonlySet<SourceFile>): boolean => {
  const parent = id.getParent();
  if (Node.isPropertyAccessExpression(parent) && parent.getNameNode() === id) return false;
  if (Node.isQualifiedName(parent) && parent.getRight() === id) return false;
  if (Node.hasName(parent) && parent.getNameNode() === id) return false;
  const decls = id.getSymbol()?.getDeclarations() ?? [];
  return !decls.some((d) => closure.has(d.getSourceFile()));
};

/** Fails when a free identifier of the sources has the name of a namespace or of a module-scope name. */
const checkNames = (units: ReadonlyArray<Unit>): void => {
  const reserved = new Set([...units.map((u) => u.ns), ...FOOTER_NAMES]);
  const closure = new Set(units.map((u) => u.file));
  for (const u of units) {
    for (const id of u.file.getDescendantsOfKind(SyntaxKind.Identifier)) {
      if (reserved.has(id.getText()) && isFreeReference(id, closure)) {
        throw new CodegenError(
          `${u.rel}:${id.getStartLineNumber()}: "${id.getText()}" would refer to a name of the emitted module`,
        );
      }
    }
  }
};

/** The top-level statements of `file` declaring one of `names`. */
const declarations = (file: SourceFile, names: ReadonlyArray<string>): ReadonlyArray<Statement> =>
  file.getStatements().filter((s) => {
    const declared = Node.isVariableStatement(s)
      ? s.getDeclarations().map((d) => d.getName())
      : Node.hasName(s)
        ? [s.getName()]
        : [];
    return declared.some((n) => names.includes(n));
  });

const header = (name: string, backend: BackendName, files: ReadonlyArray<string>): string =>
  [
    '/**',
    ` * The lowered training step of "${name}", emitted by \`tessera compile --emit\` (codegen/).`,
    " * Generated code: do not edit. It is tessera's own lowering (the files below, one namespace each,",
    ' * in load order) and the checked graph, as one module that imports only TF.js.',
    ' *',
    ` * Default backend: ${backend}. Usage: \`await selectBackend(); const s = createStep(); s.init(seed);`,
    ' * s.step(images, { step, totalSteps })` (images NHWC in [0, 1]; a method with pseudo-domain folds',
    " * also takes the other fold's batch: `s.step(images, at, { paired })`).",
    ' *',
    ` * Sources (${files.length}): ${files.join(', ')}`,
    ' */',
  ].join('\n');

const footer = (
  graph: Graph,
  backend: BackendName,
  entry: Unit,
  graphUnit: Unit,
  files: ReadonlyArray<string>,
): string =>
  `// ---- the checked graph and the step factory ----
const graphData: unknown = ${JSON.stringify(graph, null, 1)};

/** The checked, optimised graph this module trains. */
export const graph = graphData as ${graphUnit.ns}.Graph;

/** A method lowered to TF.js: init(seed), step(images, at), embed, variables, optimizer state, dispose. */
export type CompiledMethod = ${entry.ns}.CompiledMethod;
/** What one training step reports. */
export type StepMetrics = ${entry.ns}.StepMetrics;

/** The backend this module was emitted for. */
export const BACKEND: string = ${JSON.stringify(backend)};

/** The tessera source files embedded here, in load order. */
export const SOURCES: ReadonlyArray<string> = ${JSON.stringify(files)};

/** Makes \`name\` (default \`BACKEND\`) the active TF.js backend; throws when it cannot start. */
export const selectBackend = async (name: string = BACKEND): Promise<void> => {
  if (tf.getBackend() === name) return;
  if (!(await tf.setBackend(name))) throw new Error(\`TF.js backend "\${name}" failed to initialise\`);
  await tf.ready();
};

/** A fresh training step of the graph on the active backend (call \`init(seed)\` first). */
export const createStep = (): CompiledMethod => ${entry.ns}.lower(graph);
`;

/** Emits the module and reports what it contains. Throws `CodegenError` on unsupported sources. */
export const emitStepModule = (graph: Graph, options: EmitOptions = {}): EmittedStep => {
  checkJson(graph, '');
  const root = options.root ?? sourceRoot();
  const backend = options.backend ?? 'wasm';
  const { entry, graph: graphFile } = openSources(root);
  const collected = collectUnits([entry, graphFile], root);
  checkNames(collected.units);
  const pruned =
    options.prune === false
      ? undefined
      : prune(collected.units, graph, [
          ...declarations(entry, ['lower', 'CompiledMethod', 'StepMetrics']),
          ...declarations(graphFile, ['Graph']),
        ]);
  const units = collected.units.filter((u) => !isEmptyUnit(u));
  const byFile = (f: SourceFile): Unit => units.find((u) => u.file === f)!;
  const files = units.map((u) => u.rel);
  const imports = [
    TFJS,
    ...(backend === 'wasm' || collected.packages.has(TFJS_WASM) ? [TFJS_WASM] : []),
  ];
  const prelude = [
    `import * as tf from '${TFJS}';`,
    ...imports.slice(1).map((p) => `import '${p}';`),
    '',
    ...(pruned !== undefined && pruned.entries.length > 0 ? [PRUNED_STAND_IN] : []),
  ];
  const name = (options.name ?? graph.method.name).replace(/\*\//g, '* /');
  const source = [
    header(name, backend, files),
    prelude.join('\n'),
    ...units.map(namespaceText),
    footer(graph, backend, byFile(entry), byFile(graphFile), files),
  ].join('\n');
  return { source, files, imports, backend, pruned };
};

/** The source of the standalone step module of `graph` (see `emitStepModule`). */
export const emitStep = (graph: Graph, options: EmitOptions = {}): string =>
  emitStepModule(graph, options).source;
