/** One line of the chart. */
export interface ChartSeries {
  readonly name: string;
  readonly color: string;
  readonly values: readonly number[];
  /** Drawn dashed (a line that others overlap, e.g. the static baseline, stays visible). */
  readonly dashed?: boolean;
  /** Days on which this policy deployed a new model (drawn as dots). */
  readonly deployments?: readonly number[];
}

const WIDTH = 860;
const HEIGHT = 420;
const PAD = { left: 56, right: 150, top: 40, bottom: 48 };

function escapeXml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}

/**
 * A self-contained HTML page with an inline SVG line chart of AP by day (no script, no dependency):
 * one line per policy (drawn in the given order), the drift onset as a dashed vertical line, deployments as dots.
 */
export function renderApChart(options: {
  readonly title: string;
  readonly subtitle: string;
  readonly series: readonly ChartSeries[];
  readonly driftOnsetDay: number;
}): string {
  const days = Math.max(1, ...options.series.map((s) => s.values.length));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (day: number) => PAD.left + (days <= 1 ? 0 : (day / (days - 1)) * plotW);
  const y = (v: number) => PAD.top + (1 - Math.min(1, Math.max(0, v))) * plotH;
  const parts: string[] = [];
  for (let t = 0; t <= 10; t += 2) {
    const v = t / 10;
    parts.push(
      `<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`,
      `<text x="${PAD.left - 8}" y="${y(v) + 4}" text-anchor="end" font-size="11">${v.toFixed(1)}</text>`,
    );
  }
  const step = Math.max(1, Math.ceil(days / 15));
  for (let d = 0; d < days; d += step)
    parts.push(
      `<text x="${x(d)}" y="${PAD.top + plotH + 16}" text-anchor="middle" font-size="11">${d}</text>`,
    );
  parts.push(
    `<text x="${PAD.left + plotW / 2}" y="${HEIGHT - 8}" text-anchor="middle" font-size="12">stream day</text>`,
    `<text x="14" y="${PAD.top + plotH / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${PAD.top + plotH / 2})">average precision</text>`,
    `<line x1="${x(options.driftOnsetDay)}" x2="${x(options.driftOnsetDay)}" y1="${PAD.top}" y2="${PAD.top + plotH}" stroke="#888" stroke-dasharray="5 4"/>`,
    `<text x="${x(options.driftOnsetDay) + 4}" y="${PAD.top + 12}" font-size="11" fill="#555">drift onset</text>`,
  );
  options.series.forEach((s, i) => {
    const points = s.values
      .map((v, d) => (Number.isFinite(v) ? `${x(d).toFixed(1)},${y(v).toFixed(1)}` : null))
      .filter((p): p is string => p !== null)
      .join(' ');
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${points}"/>`);
    for (const d of s.deployments ?? []) {
      const v = s.values[d];
      if (v !== undefined && Number.isFinite(v))
        parts.push(`<circle cx="${x(d).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3.5" fill="${s.color}"/>`);
    }
    const ly = PAD.top + 14 + i * 20;
    parts.push(
      `<line x1="${PAD.left + plotW + 14}" x2="${PAD.left + plotW + 36}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`,
      `<text x="${PAD.left + plotW + 42}" y="${ly + 4}" font-size="12">${escapeXml(s.name)}</text>`,
    );
  });
  const legendNote = PAD.top + 14 + options.series.length * 20 + 6;
  parts.push(
    `<circle cx="${PAD.left + plotW + 25}" cy="${legendNote}" r="3.5" fill="#444"/>`,
    `<text x="${PAD.left + plotW + 42}" y="${legendNote + 4}" font-size="12">first day of a new model</text>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(options.title)}</title></head>
<body style="font-family: sans-serif; margin: 24px">
<h2 style="margin: 0 0 4px">${escapeXml(options.title)}</h2>
<p style="margin: 0 0 12px; color: #555">${escapeXml(options.subtitle)}</p>
<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif">
<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#ccc"/>
${parts.join('\n')}
</svg>
</body></html>
`;
}
