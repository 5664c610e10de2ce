/**
 * `writeReport(runDir)`: reads a run folder (`metrics.jsonl`, `eval.json`, `embeddings.json`,
 * `spec.json`; each optional) and writes `runDir/report.html`, a self-contained page. What the
 * `tessera report` command calls.
 */
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { writeFileAtomic } from '../../runtime/checkpoint/atomicWrite.js';
import { specHash } from '../../runtime/specHash.js';
import { metricSeries, parseEmbeddingsFile, parseEvalFile, parseMetricsJsonl } from './formats.js';
import { renderReport, type ReportData, type RenderOptions } from './html.js';

/** Options of `writeReport`. */
export interface WriteReportOptions extends RenderOptions {
  /** Output path. Default `runDir/report.html`. */
  readonly out?: string;
  /** Page title. Default the run folder's name. */
  readonly title?: string;
  /** Generation time shown on the page. Default now. */
  readonly now?: Date;
}

const readOptional = async (path: string): Promise<string | undefined> => {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
};

/** Parses a JSON file if present; a parse error becomes a note, not a failure. */
const readJson = async <T>(
  path: string,
  parse: (v: unknown) => T,
  notes: string[],
): Promise<T | undefined> => {
  const text = await readOptional(path);
  if (text === undefined) return undefined;
  try {
    return parse(JSON.parse(text));
  } catch (e) {
    notes.push(`${basename(path)} skipped: ${(e as Error).message}`);
    return undefined;
  }
};

/** Collects the report's data from a run folder, noting each missing or malformed part. */
export const readRunForReport = async (
  runDir: string,
  now: Date = new Date(),
  title?: string,
): Promise<ReportData> => {
  const notes: string[] = [];
  const metricsText = await readOptional(join(runDir, 'metrics.jsonl'));
  let metrics;
  if (metricsText === undefined) notes.push('metrics.jsonl not found');
  else {
    const parsed = parseMetricsJsonl(metricsText);
    notes.push(...parsed.problems);
    metrics = metricSeries(parsed.records);
  }
  const evalFile = await readJson(join(runDir, 'eval.json'), parseEvalFile, notes);
  const embeddings = await readJson(join(runDir, 'embeddings.json'), parseEmbeddingsFile, notes);
  const spec = await readJson(
    join(runDir, 'spec.json'),
    (v) => ({ hash: specHash(v), name: specName(v) }),
    notes,
  );
  return {
    title: title ?? basename(resolve(runDir)),
    runDir,
    notes,
    generatedAt: now.toISOString().replace(/\.\d+Z$/, 'Z'),
    ...(metrics ? { metrics } : {}),
    ...(evalFile ? { evalFile } : {}),
    ...(embeddings ? { embeddings } : {}),
    ...(spec ? { spec } : {}),
  };
};

const specName = (v: unknown): string | undefined => {
  const name = (v as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
};

/** The files a report is drawn from; a folder with none of them is not a run folder. */
export const REPORT_INPUTS = [
  'metrics.jsonl',
  'eval.json',
  'embeddings.json',
  'spec.json',
] as const;

/**
 * Writes the report of `runDir` (atomically) and returns its path and the notes it contains
 * (missing files, skipped lines). Tolerates missing or malformed inputs (each becomes a note), but
 * fails, writing nothing, on a folder holding none of `REPORT_INPUTS` (an empty page would look
 * like a report of a run) and on unreadable folders.
 */
export const writeReport = async (
  runDir: string,
  options: WriteReportOptions = {},
): Promise<{ readonly path: string; readonly notes: ReadonlyArray<string> }> => {
  const present = await Promise.all(REPORT_INPUTS.map((f) => readOptional(join(runDir, f))));
  if (present.every((t) => t === undefined))
    throw new Error(
      `${runDir} holds nothing to report: none of ${REPORT_INPUTS.join(', ')}\nhint: give the --out folder of a tessera train run (it writes metrics.jsonl and spec.json)`,
    );
  const data = await readRunForReport(runDir, options.now, options.title);
  const path = options.out ?? join(runDir, 'report.html');
  await writeFileAtomic(path, renderReport(data, options));
  return { path, notes: data.notes };
};
