// results.md: one Markdown table per run, metrics as rows and models as columns, so several models compare at a
// glance and the table pastes into a README or a pull request unchanged.
import type { EvalResults, ModelInfo, RetrievalResults, ZeroShotResults } from '../results.js';
import { metricNames } from '../metrics.js';

/** Column name for a model: the last path segment of its id and the start of its hash. */
export function modelLabel(model: ModelInfo): string {
  const base = model.id.replace(/[\\/]+$/, '').split(/[\\/]/).pop() || model.id;
  return `${base} (${model.hash.slice(0, 8)})`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function num(value: number | null | undefined, digits = 4): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '–' : `${(ms / 1000).toFixed(2)} s`;
}

function table(header: string[], rows: string[][]): string {
  const align = header.map((_, i) => (i === 0 ? '---' : '---:'));
  return [header, align, ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n');
}

function retrievalMarkdown(results: RetrievalResults): string {
  const { catalog, runs } = results;
  // The mode is named only when the table compares modes (a plain run measures the model alone: vector).
  const showMode = runs.some((r) => r.mode !== undefined && r.mode !== 'vector');
  const header = ['metric', ...runs.map((r) => modelLabel(r.model) + (showMode && r.mode ? ` · ${r.mode}` : ''))];
  const rows: string[][] = [];
  rows.push(['documents', ...runs.map((r) => r.documents)]);
  rows.push(['queries evaluated', ...runs.map((r) => String(r.queries.evaluated))]);
  rows.push(['queries skipped (no relevant)', ...runs.map((r) => String(r.queries.skipped))]);
  for (const name of metricNames(results.ks)) rows.push([name, ...runs.map((r) => num(r.metrics[name]))]);
  rows.push(['gallery index', ...runs.map((r) => (r.index.reused ? 'reused' : `built (${r.index.indexed} embedded, ${r.index.failed} failed)`))]);
  rows.push(['time: index', ...runs.map((r) => seconds(r.timingsMs.index))]);
  rows.push(['time: queries', ...runs.map((r) => seconds(r.timingsMs.queries))]);
  const splits = [
    catalog.querySplit ? `queries from split \`${catalog.querySplit}\`` : 'queries from every split',
    catalog.gallerySplit ? `gallery = split \`${catalog.gallerySplit}\`` : 'gallery = whole catalog',
    ...(catalog.typoSeed !== undefined ? [`one seeded one-character edit per query (seed ${catalog.typoSeed})`] : []),
  ].join(', ');
  return [
    `# Vitrine eval: ${results.task}`,
    '',
    `Catalog \`${catalog.source}\` (hash \`${catalog.hash.slice(0, 12)}\`, ${catalog.products} products, gallery ${catalog.gallery}); ${splits}. ` +
      `Each query retrieves ${results.depth} results; mAP is over that list. Ties are broken by product id.`,
    '',
    table(header, rows),
    '',
  ].join('\n');
}

function zeroShotMarkdown(results: ZeroShotResults): string {
  const { runs, dataset } = results;
  const header = ['metric', ...runs.map((r) => modelLabel(r.model))];
  const rows: string[][] = [
    ['images classified', ...runs.map((r) => String(r.images.total - r.images.failed))],
    ['images failed', ...runs.map((r) => String(r.images.failed))],
    ['accuracy', ...runs.map((r) => num(r.accuracy))],
    ['macro-F1', ...runs.map((r) => num(r.macroF1))],
    ['time: total', ...runs.map((r) => seconds(r.timingsMs.total))],
  ];
  const labels = runs[0]?.labels ?? [];
  const perClassRows = labels.map((label, i) => [
    label,
    String(runs[0]?.perClass[i]?.support ?? 0),
    ...runs.map((r) => num(r.perClass[i]?.f1)),
  ]);
  return [
    `# Vitrine eval: zero-shot`,
    '',
    `Images \`${dataset.images}\`, labels \`${dataset.labels}\`: ${dataset.samples} samples, ${dataset.classes} classes. ` +
      `Prompts: ${(runs[0]?.prompts ?? []).map((p) => `\`${p}\``).join(', ')}.`,
    '',
    table(header, rows),
    '',
    '## F1 per class',
    '',
    table(['class', 'support', ...runs.map((r) => modelLabel(r.model))], perClassRows),
    '',
  ].join('\n');
}

export function renderMarkdown(results: EvalResults): string {
  return results.task === 'zero-shot' ? zeroShotMarkdown(results) : retrievalMarkdown(results);
}
