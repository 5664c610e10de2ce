/**
 * The report page: one self-contained HTML document (inline CSS and SVG, no script, no external
 * asset) with the loss curves per term, the schedules, the probe table and the PCA scatter plots.
 */
import type { EmbeddingsFile, EvalFile, MetricSeries } from './formats.js';
import { classColor, escapeXml, lineChart, PALETTE, scatterPlot } from './svg.js';

/** Everything the page shows; absent parts are replaced by a note saying which file was missing. */
export interface ReportData {
  /** Shown as the page title, e.g. the run folder's name. */
  readonly title: string;
  readonly runDir: string;
  readonly metrics?: MetricSeries;
  readonly evalFile?: EvalFile;
  readonly embeddings?: EmbeddingsFile;
  /** From `spec.json`: its content hash and, when it has one, the method name. */
  readonly spec?: { readonly hash: string; readonly name?: string };
  /** Problems met while reading the files (skipped lines, missing files), listed at the end. */
  readonly notes: ReadonlyArray<string>;
  /** ISO time of generation (a parameter, so the page is reproducible in tests). */
  readonly generatedAt: string;
}

/** Options of `renderReport`. */
export interface RenderOptions {
  /** Log-scale y for loss curves: `'auto'` (default) uses it when all values are positive and span over 2 decades. */
  readonly logScale?: boolean | 'auto';
}

const CSS = `
:root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--bg:#f6f8fa;--card:#fff;--accent:#4e79a7}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:24px 20px 48px}
header h1{font-size:22px;margin:0 0 4px}header p{margin:0;color:var(--muted)}
h2{font-size:17px;margin:32px 0 10px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:13px;margin:0 0 6px;font-weight:600}
.chip{display:inline-block;font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#eef1f4;border-radius:4px;padding:1px 6px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:12px;margin-top:16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.stat .v{font-size:18px;font-weight:600;overflow-wrap:anywhere}.stat .k{color:var(--muted);font-size:12px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(370px,1fr));gap:12px}
.chart,.scatter{display:block;max-width:100%;height:auto}
.chart .grid{stroke:#eaeef2}.chart .axis{stroke:#8c959f}.tick,.axis-label{font-size:10px;fill:var(--muted)}
.series{fill:none;stroke-width:1.6}.series.raw{stroke-width:1;opacity:.35}.band{opacity:.12;stroke:none}
.scatter .frame{fill:#fbfcfd;stroke:var(--line)}.scatter .pt{opacity:.78}
.muted{color:var(--muted);fill:var(--muted)}
table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);border-radius:8px;overflow:hidden}
th,td{padding:6px 10px;border-bottom:1px solid #eaeef2;text-align:left}th{background:#f0f3f6;font-weight:600;font-size:12px}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.bar{min-width:140px;background-repeat:no-repeat;background-size:var(--w) 100%;background-image:linear-gradient(#dbe7f3,#dbe7f3)}
.legend{display:flex;flex-wrap:wrap;gap:4px 12px;margin-top:6px;font-size:12px}
.legend span{display:inline-flex;align-items:center;gap:4px}.legend i{width:10px;height:10px;border-radius:50%;display:inline-block}
.rep{margin-bottom:18px}.rep h3{font-size:14px}
ul.notes{color:var(--muted);font-size:12px}
`;

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const num = (x: number): string =>
  Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0)
    ? x.toExponential(3)
    : String(Number(x.toPrecision(4)));
const missing = (what: string): string =>
  `<p class="muted">No ${escapeXml(what)} in this run folder.</p>`;

const useLog = (
  points: ReadonlyArray<readonly [number, number]>,
  option: boolean | 'auto',
): boolean => {
  if (option !== 'auto') return option;
  const ys = points.map((p) => p[1]);
  return (
    ys.every((y) => y > 0) &&
    ys.reduce((a, y) => Math.max(a, y), 0) / ys.reduce((a, y) => Math.min(a, y), Infinity) > 100
  );
};

const chartCard = (
  name: string,
  points: ReadonlyArray<readonly [number, number]>,
  color: string,
  logY: boolean,
  smooth: boolean,
): string => {
  const last = points[points.length - 1];
  return `<div class="card" data-term="${escapeXml(name)}"><h3>${escapeXml(name)} <span class="muted">${last ? `· last ${num(last[1])}` : ''}</span></h3>${lineChart([{ name, points, color }], { logY, smooth })}</div>`;
};

const lossSection = (m: MetricSeries | undefined, option: boolean | 'auto'): string => {
  if (!m || (m.terms.get('loss')?.length ?? 0) === 0)
    return `<h2>Loss</h2>${missing('metrics.jsonl')}`;
  const cards = [...m.terms].map(([name, pts], i) =>
    chartCard(name, pts, PALETTE[i % PALETTE.length]!, useLog(pts, option), true),
  );
  return `<h2 id="loss">Loss terms</h2><div class="grid">${cards.join('')}</div>`;
};

const scheduleSection = (m: MetricSeries | undefined): string => {
  if (!m || m.schedules.size === 0)
    return `<h2>Schedules</h2>${missing('schedule values (lr, ema, wd, temperature) in metrics.jsonl')}`;
  const cards = [...m.schedules].map(([name, pts], i) =>
    chartCard(name, pts, PALETTE[(i + 4) % PALETTE.length]!, false, false),
  );
  return `<h2 id="schedules">Schedules</h2><div class="grid">${cards.join('')}</div>`;
};

/** One chart per label: the online kNN accuracy of every representation against the step. */
const onlineSection = (m: MetricSeries | undefined): string => {
  if (!m || m.online.size === 0) return '';
  const byLabel = new Map<
    string,
    Array<{ name: string; points: ReadonlyArray<readonly [number, number]> }>
  >();
  for (const [key, points] of m.online) {
    const [, representation = key, label = ''] = key.split('/');
    if (!byLabel.has(label)) byLabel.set(label, []);
    byLabel
      .get(label)!
      .push({ name: representation, points: points.map(([x, y]) => [x, 100 * y] as const) });
  }
  const cards = [...byLabel].map(([label, series]) => {
    const lines = series.map((s, i) => ({ ...s, color: PALETTE[i % PALETTE.length]! }));
    const last = lines
      .map((s) => `${escapeXml(s.name)} ${(s.points[s.points.length - 1]?.[1] ?? NaN).toFixed(1)}%`)
      .join(', ');
    const keys = lines
      .map((s) => `<span><i style="background:${s.color}"></i>${escapeXml(s.name)}</span>`)
      .join('');
    return `<div class="card" data-online="${escapeXml(label)}"><h3>${escapeXml(label)} <span class="muted">· last ${last}</span></h3>${lineChart(lines, { smooth: false })}<div class="legend">${keys}</div></div>`;
  });
  return `<h2 id="online">Online kNN accuracy (%) while training</h2><p class="muted">Held-out images, kNN (k = 20) on each representation, every K steps; step 0 is the untrained encoder.</p><div class="grid">${cards.join('')}</div>`;
};

const probeSection = (e: EvalFile | undefined): string => {
  if (!e || e.rows.length === 0) return `<h2>Probes</h2>${missing('eval.json (run tessera eval)')}`;
  const head =
    '<tr><th>representation</th><th>label</th><th>probe</th><th>accuracy</th><th>F1 weighted</th><th>F1 macro</th><th>train</th><th>test</th></tr>';
  const rows = e.rows.map(
    (r) =>
      `<tr class="probe-row"><td>${escapeXml(r.representation)}</td><td>${escapeXml(r.label)}</td><td>${escapeXml(r.probe)}</td>` +
      `<td class="num bar" style="--w:${(100 * r.accuracy).toFixed(1)}%">${pct(r.accuracy)}</td><td class="num">${pct(r.f1Weighted)}</td>` +
      `<td class="num">${pct(r.f1Macro)}</td><td class="num">${r.nTrain}</td><td class="num">${r.nTest}</td></tr>`,
  );
  const how =
    e.labelFraction !== undefined
      ? `<p class="muted">Label fraction ${pct(e.labelFraction)}${e.seed !== undefined ? `, seed ${e.seed}` : ''}; held-out split stratified per label.</p>`
      : '';
  return `<h2 id="probes">Probes on frozen features</h2>${how}<table>${head}${rows.join('')}</table>`;
};

const legend = (classes: ReadonlyArray<string>, values: ReadonlyArray<number>): string => {
  const counts = classes.map((_, c) => values.filter((v) => v === c).length);
  return `<div class="legend">${classes.map((name, c) => `<span><i style="background:${classColor(c)}"></i>${escapeXml(name)} <span class="muted">(${counts[c]})</span></span>`).join('')}</div>`;
};

const embeddingSection = (e: EmbeddingsFile | undefined): string => {
  if (!e || Object.keys(e.representations).length === 0)
    return `<h2>Embeddings</h2>${missing('embeddings.json')}`;
  const reps = Object.entries(e.representations).map(([rep, p]) => {
    const [r1, r2] = p.varianceRatio ?? [NaN, NaN];
    const axis = (k: string, r: number): string => (Number.isFinite(r) ? `${k} (${pct(r)})` : k);
    const cards = Object.entries(e.labels).map(
      ([label, l]) =>
        `<div class="card" data-representation="${escapeXml(rep)}" data-label="${escapeXml(label)}"><h3>coloured by ${escapeXml(label)}</h3>` +
        `${scatterPlot(p.x, p.y, l.values, { xLabel: axis('PC1', r1), yLabel: axis('PC2', r2) })}${legend(l.classes, l.values)}</div>`,
    );
    return `<div class="rep"><h3>${escapeXml(rep)} <span class="muted">· ${p.x.length} points</span></h3><div class="grid">${cards.join('')}</div></div>`;
  });
  return `<h2 id="embeddings">Representations (PCA, top 2 components)</h2>${reps.join('')}`;
};

const summary = (d: ReportData): string => {
  const loss = d.metrics?.terms.get('loss') ?? [];
  const last = loss[loss.length - 1];
  const best = d.evalFile?.rows.reduce<EvalFile['rows'][number] | undefined>(
    (b, r) => (!b || r.accuracy > b.accuracy ? r : b),
    undefined,
  );
  const stats: Array<[string, string]> = [
    ['last step', last ? String(last[0]) : '—'],
    ['final loss', last ? num(last[1]) : '—'],
    ['loss terms', String(Math.max(0, (d.metrics?.terms.size ?? 1) - 1))],
    [
      best ? `best probe: ${best.representation} → ${best.label} (${best.probe})` : 'best probe',
      best ? pct(best.accuracy) : '—',
    ],
  ];
  return `<div class="cards">${stats.map(([k, v]) => `<div class="card stat"><div class="v">${escapeXml(v)}</div><div class="k">${escapeXml(k)}</div></div>`).join('')}</div>`;
};

/** The complete HTML document of a run report. */
export const renderReport = (d: ReportData, options: RenderOptions = {}): string => {
  const spec = d.spec
    ? ` · spec ${d.spec.name ? `${escapeXml(d.spec.name)} ` : ''}<span class="chip" title="sha256 of the canonical spec">${escapeXml(d.spec.hash.slice(0, 12))}</span>`
    : '';
  const notes = d.notes.length
    ? `<h2>Notes</h2><ul class="notes">${d.notes.map((n) => `<li>${escapeXml(n)}</li>`).join('')}</ul>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeXml(d.title)} · tessera report</title><style>${CSS}</style></head>
<body><main>
<header><h1>${escapeXml(d.title)}</h1><p>tessera run report · <span class="chip">${escapeXml(d.runDir)}</span>${spec} · ${escapeXml(d.generatedAt)}</p></header>
${summary(d)}
${lossSection(d.metrics, options.logScale ?? 'auto')}
${scheduleSection(d.metrics)}
${onlineSection(d.metrics)}
${probeSection(d.evalFile)}
${embeddingSection(d.embeddings)}
${notes}
</main></body></html>
`;
};
