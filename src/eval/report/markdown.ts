// results.md: one Markdown table per run, metrics as rows and models as columns, so several models compare at a
// glance and the table pastes into a README or a pull request unchanged.
import type { EvalResults, ModelInfo, RetrievalResults, RobustnessResults, ZeroShotResults } from '../results.js';
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

/** Metric names of the robustness task in report order: same-product recall, then same-kind precision. */
export function robustnessMetricNames(ks: readonly number[]): string[] {
  return [...ks.map((k) => `recall@${k}`), ...ks.map((k) => `precision@${k}`)];
}

function robustnessMarkdown(results: RobustnessResults): string {
  const { runs, catalog, field } = results;
  const header = ['query set / metric', ...runs.map((r) => modelLabel(r.model))];
  const rows: string[][] = [];
  const setNames = runs[0]?.sets.map((s) => s.name) ?? [];
  for (const name of setNames) {
    const sets = runs.map((r) => r.sets.find((s) => s.name === name));
    rows.push([`**${name}**: queries (failed)`, ...sets.map((s) => (s ? `${s.queries} (${s.failed})` : '–'))]);
    for (const metric of robustnessMetricNames(results.ks)) {
      if (sets.every((s) => s?.metrics[metric] === undefined)) continue;
      rows.push([`${name} ${metric}`, ...sets.map((s) => num(s?.metrics[metric]))]);
    }
  }
  rows.push(['gallery index', ...runs.map((r) => (r.index.reused ? 'reused' : `built (${r.index.indexed} embedded, ${r.index.failed} failed)`))]);
  rows.push(['time: total', ...runs.map((r) => seconds(r.timingsMs.total))]);
  const out = [
    '# Vitrine eval: robustness',
    '',
    `Catalog \`${catalog.source}\` (hash \`${catalog.hash.slice(0, 12)}\`, ${catalog.products} products, gallery ${catalog.gallery}${catalog.gallerySplit ? ` = split \`${catalog.gallerySplit}\`` : ''}). ` +
      `Image queries; recall@k: the photo's own product in the top k; precision@k: share of the top k with the same ${field} ` +
      '(for labelled photos: a value in the label\'s set).',
    '',
    ...(runs[0]?.sets ?? []).map((s) => `- \`${s.name}\`: ${s.description}`),
    '',
    table(header, rows),
    '',
  ];
  const perClassSets = setNames.filter((name) => runs.some((r) => r.sets.find((s) => s.name === name)?.perClass));
  for (const name of perClassSets) {
    const labels = [...new Set(runs.flatMap((r) => r.sets.find((s) => s.name === name)?.perClass?.map((c) => c.label) ?? []))].sort();
    const classRows = labels.map((label) => {
      const cells = runs.map((r) => r.sets.find((s) => s.name === name)?.perClass?.find((c) => c.label === label));
      return [label, String(cells.find((c) => c)?.queries ?? 0), ...cells.flatMap((c) => results.ks.map((k) => num(c?.metrics[`precision@${k}`])))];
    });
    out.push(
      `## ${name}: per class`,
      '',
      table(['class', 'queries', ...runs.flatMap((r) => results.ks.map((k) => `${modelLabel(r.model)} precision@${k}`))], classRows),
      '',
    );
  }
  return out.join('\n');
}

export function renderMarkdown(results: EvalResults): string {
  if (results.task === 'zero-shot') return zeroShotMarkdown(results);
  if (results.task === 'robustness') return robustnessMarkdown(results);
  return retrievalMarkdown(results);
}
