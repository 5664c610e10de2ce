import { describe, expect, it } from 'vitest';
import {
  classColor,
  escapeXml,
  formatTick,
  lineChart,
  niceTicks,
  PALETTE,
  scatterPlot,
} from '../../../eval/report/svg.js';

describe('ticks', () => {
  it('picks round steps covering the range', () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0.13, 0.91, 4)).toEqual([0.2, 0.4, 0.6000000000000001, 0.8]);
    expect(niceTicks(3, 3)).toEqual([3]);
  });

  it('formats tick labels compactly', () => {
    expect(formatTick(0)).toBe('0');
    expect(formatTick(0.0015)).toBe('0.0015');
    expect(formatTick(0.00015)).toBe('1.5e-4');
    expect(formatTick(25000)).toBe('25k');
    expect(formatTick(0.6000000000000001)).toBe('0.6');
  });
});

describe('lineChart', () => {
  const pts = Array.from({ length: 200 }, (_, i) => [i, 10 * Math.exp(-i / 30) + 0.01] as const);

  it('draws a raw and a smoothed path per series, and a log axis when asked', () => {
    const svg = lineChart([{ name: 'nce', points: pts, color: '#123456' }], { logY: true });
    expect(svg.startsWith('<svg class="chart"')).toBe(true);
    expect(svg.match(/class="series raw"/g)).toHaveLength(1);
    expect(svg.match(/class="series smooth"/g)).toHaveLength(1);
    expect(svg).toContain('log y');
    expect(svg).toMatch(/>10<\/text>/); // a decade tick
    expect(
      lineChart([{ name: 'nce', points: pts, color: '#123456' }], { logY: false }),
    ).not.toContain('log y');
  });

  it('ignores log scale for non-positive values, buckets long series and handles empty input', () => {
    const neg = [
      [0, -1],
      [1, 1],
    ] as const;
    expect(lineChart([{ name: 'x', points: neg, color: 'red' }], { logY: true })).not.toContain(
      'log y',
    );
    const long = Array.from({ length: 100_000 }, (_, i) => [i, Math.sin(i)] as const);
    const svg = lineChart([{ name: 'x', points: long, color: 'red' }]);
    expect(svg).toContain('class="band"');
    const raw = /class="series raw"[^>]* d="([^"]+)"/.exec(svg)![1]!;
    expect(raw.split(/[ML]/).length - 1).toBeLessThanOrEqual(600);
    expect(lineChart([])).toContain('no data');
  });
});

describe('scatterPlot', () => {
  it('draws one circle per point in its class colour', () => {
    const svg = scatterPlot([0, 1, 2], [2, 1, 0], [0, 1, 12]);
    expect(svg.match(/<circle class="pt"/g)).toHaveLength(3);
    expect(svg).toContain(`fill="${PALETTE[1]}"`);
    expect(svg).toContain(`fill="${classColor(12)}"`);
    expect(classColor(12)).toMatch(/^hsl\(/);
  });

  it('escapes text', () => {
    expect(escapeXml('<a href="x">&\'')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
    expect(scatterPlot([0], [0], [0], { xLabel: '<PC1>' })).toContain('&lt;PC1&gt;');
  });
});
