import { escapeHtml, trusted, type SafeHtml } from './html';

export interface LineSeries {
  readonly name: string;
  readonly color: string;
  /** One value per x position; null leaves a gap. */
  readonly values: readonly (number | null)[];
  readonly dashed?: boolean;
}

export interface BarStack {
  readonly name: string;
  readonly color: string;
  /** One count per x position. */
  readonly values: readonly number[];
}

interface Frame {
  readonly width: number;
  readonly height: number;
  readonly title: string;
  /** Label of each x position (shown every few positions when there are many). */
  readonly xLabels: readonly string[];
}

const PAD = { left: 48, right: 16, top: 30, bottom: 40 };

function n(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

function axes(
  frame: Frame,
  yMax: number,
  yTicks: readonly number[],
  yFormat: (v: number) => string,
): string[] {
  const plotW = frame.width - PAD.left - PAD.right;
  const plotH = frame.height - PAD.top - PAD.bottom;
  const parts: string[] = [
    `<text x="${PAD.left}" y="18" font-size="13" font-weight="600">${escapeHtml(frame.title)}</text>`,
    `<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#d0d4da"/>`,
  ];
  for (const t of yTicks) {
    const y = PAD.top + (1 - t / yMax) * plotH;
    parts.push(
      `<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${n(y)}" y2="${n(y)}" stroke="#eceef1"/>`,
      `<text x="${PAD.left - 6}" y="${n(y + 4)}" text-anchor="end" font-size="11" fill="#555">${escapeHtml(yFormat(t))}</text>`,
    );
  }
  const count = frame.xLabels.length;
  const step = Math.max(1, Math.ceil(count / 10));
  for (let i = 0; i < count; i += step) {
    const x = PAD.left + ((i + 0.5) / Math.max(1, count)) * plotW;
    parts.push(
      `<text x="${n(x)}" y="${PAD.top + plotH + 16}" text-anchor="middle" font-size="11" fill="#555">${escapeHtml(frame.xLabels[i] ?? '')}</text>`,
    );
  }
  return parts;
}

function legend(
  frame: Frame,
  entries: readonly { name: string; color: string; dashed?: boolean }[],
): string[] {
  let x = PAD.left;
  const y = frame.height - 8;
  return entries.flatMap((e) => {
    const dash = e.dashed ? ' stroke-dasharray="5 3"' : '';
    const out = [
      `<line x1="${x}" x2="${x + 18}" y1="${y - 4}" y2="${y - 4}" stroke="${e.color}" stroke-width="3"${dash}/>`,
      `<text x="${x + 22}" y="${y}" font-size="11">${escapeHtml(e.name)}</text>`,
    ];
    x += 40 + e.name.length * 6.5;
    return out;
  });
}

function svg(frame: Frame, parts: readonly string[], label: string): SafeHtml {
  return trusted(
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(label)}" width="${frame.width}" height="${frame.height}" viewBox="0 0 ${frame.width} ${frame.height}" font-family="system-ui, sans-serif">${parts.join('')}</svg>`,
  );
}

/** A line chart of values in [0, 1] (average precision, rates), gaps where a value is null. */
export function lineChartSvg(frame: Frame & { readonly series: readonly LineSeries[] }): SafeHtml {
  const plotW = frame.width - PAD.left - PAD.right;
  const plotH = frame.height - PAD.top - PAD.bottom;
  const count = Math.max(1, frame.xLabels.length);
  const x = (i: number) => PAD.left + ((i + 0.5) / count) * plotW;
  const y = (v: number) => PAD.top + (1 - Math.min(1, Math.max(0, v))) * plotH;
  const parts = axes(frame, 1, [0, 0.25, 0.5, 0.75, 1], (v) => v.toFixed(2));
  for (const s of frame.series) {
    const dash = s.dashed ? ' stroke-dasharray="5 3"' : '';
    // One polyline per run of consecutive values: a null breaks the line.
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1)
        parts.push(
          `<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${run.join(' ')}"/>`,
        );
      run = [];
    };
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) return flush();
      run.push(`${n(x(i))},${n(y(v))}`);
      parts.push(
        `<circle cx="${n(x(i))}" cy="${n(y(v))}" r="2.5" fill="${s.color}"><title>${escapeHtml(`${frame.xLabels[i] ?? i}: ${s.name} ${v.toFixed(3)}`)}</title></circle>`,
      );
    });
    flush();
  }
  parts.push(...legend(frame, frame.series));
  return svg(frame, parts, frame.title);
}

/** Stacked bars of counts per x position (alert volume by day). */
export function barChartSvg(frame: Frame & { readonly stacks: readonly BarStack[] }): SafeHtml {
  const plotW = frame.width - PAD.left - PAD.right;
  const plotH = frame.height - PAD.top - PAD.bottom;
  const count = Math.max(1, frame.xLabels.length);
  const totals = frame.xLabels.map((_, i) => frame.stacks.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  // Round the axis up to 1, 2 or 5 times a power of ten.
  const magnitude = 10 ** Math.floor(Math.log10(max));
  const yMax = ([1, 2, 5, 10].find((m) => m * magnitude >= max) ?? 10) * magnitude;
  const parts = axes(frame, yMax, [0, yMax / 4, yMax / 2, (3 * yMax) / 4, yMax], (v) => n(v));
  const barW = Math.max(1, (plotW / count) * 0.7);
  frame.xLabels.forEach((label, i) => {
    let base = 0;
    for (const s of frame.stacks) {
      const v = s.values[i] ?? 0;
      if (v <= 0) continue;
      const h = (v / yMax) * plotH;
      const top = PAD.top + plotH - ((base + v) / yMax) * plotH;
      parts.push(
        `<rect x="${n(PAD.left + ((i + 0.15) / count) * plotW)}" y="${n(top)}" width="${n(barW)}" height="${n(h)}" fill="${s.color}"><title>${escapeHtml(`${label}: ${v} ${s.name}`)}</title></rect>`,
      );
      base += v;
    }
  });
  parts.push(...legend(frame, frame.stacks));
  return svg(frame, parts, frame.title);
}
