// SVG charts for eval reports, built as strings so they are pure, testable and render the same in a browser and
// through sharp (librsvg) for the PNG copies. Only plain SVG 1.1 features that librsvg supports are used.

const FONT = 'font-family="DejaVu Sans, Arial, Helvetica, sans-serif"';
/** A colour-blind-safe palette (Okabe-Ito) for model lines. */
const SERIES_COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000'];
/** Viridis stops: perceptually uniform, readable in grey scale. */
const VIRIDIS = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'];

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '–';
}

/** Colour for t in [0, 1] on the viridis scale. */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = hex(VIRIDIS[i]);
  const b = hex(VIRIDIS[i + 1]);
  const mix = a.map((c, j) => Math.round(c + (b[j] - c) * f));
  return `#${mix.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

function hex(colour: string): number[] {
  return [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
}

/** Light text on dark cells, dark text on light ones. */
function textColourOn(t: number): string {
  return t > 0.6 ? '#000000' : '#ffffff';
}

function svgOpen(width: number, height: number, title: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>\n` +
    `<title>${escapeXml(title)}</title>\n<rect width="${width}" height="${height}" fill="#ffffff"/>\n`
  );
}

export interface CurveSeries {
  name: string;
  /** values[i] is recall@(i + 1), in [0, 1]. */
  values: readonly number[];
}

/** Mean recall@k for k = 1..max, one line per model. */
export function recallCurveSvg(series: readonly CurveSeries[], options: { title?: string } = {}): string {
  const title = options.title ?? 'Recall@k';
  const width = 720;
  const legendHeight = 18 * series.length;
  const height = 420 + legendHeight;
  const left = 60;
  const right = 20;
  const top = 40;
  const plotH = 320;
  const plotW = width - left - right;
  const maxK = Math.max(1, ...series.map((s) => s.values.length));
  const xAt = (k: number) => left + (maxK === 1 ? plotW / 2 : ((k - 1) / (maxK - 1)) * plotW);
  const yAt = (v: number) => top + plotH - Math.min(1, Math.max(0, v)) * plotH;
  const parts: string[] = [svgOpen(width, height, title)];
  parts.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = i / 4;
    parts.push(`<line x1="${left}" y1="${yAt(v)}" x2="${left + plotW}" y2="${yAt(v)}" stroke="#dddddd"/>`);
    parts.push(`<text x="${left - 8}" y="${yAt(v) + 4}" text-anchor="end" font-size="12">${fmt(v)}</text>`);
  }
  const tickStep = Math.max(1, Math.ceil(maxK / 10));
  for (let k = 1; k <= maxK; k += tickStep) {
    parts.push(`<line x1="${xAt(k)}" y1="${top + plotH}" x2="${xAt(k)}" y2="${top + plotH + 5}" stroke="#333333"/>`);
    parts.push(`<text x="${xAt(k)}" y="${top + plotH + 20}" text-anchor="middle" font-size="12">${k}</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333333"/>`);
  parts.push(`<text x="${left + plotW / 2}" y="${top + plotH + 40}" text-anchor="middle" font-size="13">k</text>`);
  parts.push(
    `<text x="16" y="${top + plotH / 2}" text-anchor="middle" font-size="13" transform="rotate(-90 16 ${top + plotH / 2})">mean recall@k</text>`,
  );
  series.forEach((s, i) => {
    const colour = SERIES_COLOURS[i % SERIES_COLOURS.length];
    const points = s.values.map((v, j) => `${xAt(j + 1).toFixed(1)},${yAt(v).toFixed(1)}`).join(' ');
    if (s.values.length > 1) parts.push(`<polyline points="${points}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    s.values.forEach((v, j) => parts.push(`<circle cx="${xAt(j + 1).toFixed(1)}" cy="${yAt(v).toFixed(1)}" r="2.5" fill="${colour}"/>`));
    const ly = top + plotH + 62 + i * 18;
    parts.push(`<line x1="${left}" y1="${ly - 4}" x2="${left + 24}" y2="${ly - 4}" stroke="${colour}" stroke-width="3"/>`);
    const last = s.values.length > 0 ? s.values[s.values.length - 1] : NaN;
    parts.push(
      `<text x="${left + 32}" y="${ly}" font-size="12">${escapeXml(truncate(s.name, 80))} (recall@${s.values.length} = ${fmt(last, 3)})</text>`,
    );
  });
  parts.push('</svg>\n');
  return parts.join('\n');
}

export interface MatrixChartOptions {
  title: string;
  rowLabels: readonly string[];
  columnLabels: readonly string[];
  values: readonly (readonly number[])[];
  rowAxis: string;
  columnAxis: string;
  /** Cell colour scale: per row (confusion matrices: share of the true class) or over the whole matrix. */
  scale: 'row' | 'global';
  /** Decimal places of the number printed in each cell (0 for counts). */
  digits: number;
  /** Outline the diagonal (matching pairs). */
  outlineDiagonal?: boolean;
}

/** A labelled matrix of coloured cells with the value printed in each: confusion matrix and similarity heat map. */
export function matrixSvg(options: MatrixChartOptions): string {
  const rows = options.rowLabels.length;
  const cols = options.columnLabels.length;
  const cell = cols > 30 ? 16 : cols > 15 ? 24 : 44;
  const fontSize = cell >= 44 ? 11 : cell >= 24 ? 8 : 6;
  const maxRowLabel = Math.max(0, ...options.rowLabels.map((l) => Math.min(40, l.length)));
  const maxColLabel = Math.max(0, ...options.columnLabels.map((l) => Math.min(24, l.length)));
  const left = 40 + maxRowLabel * 6.5;
  const top = 60 + maxColLabel * 6.5;
  const width = Math.ceil(left + cols * cell + 90);
  const height = Math.ceil(top + rows * cell + 40);
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of options.values) for (const v of row) if (Number.isFinite(v)) ((lo = Math.min(lo, v)), (hi = Math.max(hi, v)));
  const parts: string[] = [svgOpen(width, height, options.title)];
  parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(options.title)}</text>`);
  parts.push(`<text x="${left + (cols * cell) / 2}" y="42" text-anchor="middle" font-size="12">${escapeXml(options.columnAxis)}</text>`);
  parts.push(
    `<text x="14" y="${top + (rows * cell) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${top + (rows * cell) / 2})">${escapeXml(options.rowAxis)}</text>`,
  );
  options.columnLabels.forEach((label, c) => {
    const x = left + c * cell + cell / 2 + 4;
    parts.push(
      `<text x="${x}" y="${top - 6}" font-size="${Math.max(fontSize, 9)}" transform="rotate(-60 ${x} ${top - 6})">${escapeXml(truncate(label, 24))}</text>`,
    );
  });
  options.values.forEach((row, r) => {
    const y = top + r * cell;
    parts.push(
      `<text x="${left - 6}" y="${y + cell / 2 + 4}" text-anchor="end" font-size="${Math.max(fontSize, 9)}">${escapeXml(truncate(options.rowLabels[r] ?? '', 40))}</text>`,
    );
    let rowMax = 0;
    for (const v of row) rowMax = Math.max(rowMax, v);
    row.forEach((v, c) => {
      const t = options.scale === 'row' ? (rowMax > 0 ? v / rowMax : 0) : hi > lo ? (v - lo) / (hi - lo) : 0.5;
      const x = left + c * cell;
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${viridis(t)}" stroke="#ffffff" stroke-width="0.5"/>`);
      parts.push(
        `<text x="${x + cell / 2}" y="${y + cell / 2 + fontSize / 3}" text-anchor="middle" font-size="${fontSize}" fill="${textColourOn(t)}">${fmt(v, options.digits)}</text>`,
      );
    });
  });
  if (options.outlineDiagonal) {
    for (let i = 0; i < Math.min(rows, cols); i++) {
      parts.push(`<rect x="${left + i * cell}" y="${top + i * cell}" width="${cell}" height="${cell}" fill="none" stroke="#ff0000" stroke-width="2"/>`);
    }
  }
  // Colour legend: low to high.
  const lx = left + cols * cell + 24;
  for (let i = 0; i < 10; i++) {
    parts.push(`<rect x="${lx}" y="${top + (9 - i) * 12}" width="14" height="12" fill="${viridis(i / 9)}"/>`);
  }
  const [lowLabel, highLabel] = options.scale === 'row' ? ['0', 'row max'] : [fmt(lo, options.digits), fmt(hi, options.digits)];
  parts.push(`<text x="${lx + 18}" y="${top + 10}" font-size="10">${escapeXml(highLabel)}</text>`);
  parts.push(`<text x="${lx + 18}" y="${top + 120}" font-size="10">${escapeXml(lowLabel)}</text>`);
  parts.push('</svg>\n');
  return parts.join('\n');
}

/** Confusion matrix: rows are true labels, columns predicted, cells coloured by share of the true class. */
export function confusionSvg(labels: readonly string[], confusion: readonly (readonly number[])[], title = 'Zero-shot confusion matrix'): string {
  return matrixSvg({ title, rowLabels: labels, columnLabels: labels, values: confusion, rowAxis: 'true label', columnAxis: 'predicted label', scale: 'row', digits: 0 });
}

/** Cosine similarity of product titles (rows) against product images (columns); matching pairs on the diagonal. */
export function similarityHeatmapSvg(titles: readonly string[], imageLabels: readonly string[], similarity: readonly (readonly number[])[], title = 'Text vs image cosine similarity'): string {
  return matrixSvg({
    title,
    rowLabels: titles,
    columnLabels: imageLabels,
    values: similarity,
    rowAxis: 'title',
    columnAxis: 'image (product id)',
    scale: 'global',
    digits: 2,
    outlineDiagonal: true,
  });
}
