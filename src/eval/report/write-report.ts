// Writes an eval run to its output folder: results.json, results.md, each chart as SVG and PNG (rendered by sharp),
// and report.html embedding them. The only module of the report that touches the file system.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { EvalResults } from '../results.js';
import { confusionSvg, matrixSvg, recallCurveSvg, similarityHeatmapSvg } from './charts.js';
import { renderHtml, type HtmlFigure } from './html.js';
import { modelLabel, renderMarkdown, robustnessMetricNames } from './markdown.js';

export interface WriteReportOptions {
  outDir: string;
}

export interface ReportFiles {
  json: string;
  markdown: string;
  html: string;
  /** Every chart, as [svg path, png path]. */
  charts: { name: string; svg: string; png: string }[];
}

interface Chart {
  name: string;
  title: string;
  svg: string;
}

/** The charts a result calls for: recall curves and heat maps for retrieval, confusion matrices for zero-shot. */
export function chartsFor(results: EvalResults): Chart[] {
  if (results.task === 'robustness') {
    const metrics = robustnessMetricNames(results.ks);
    return results.runs.flatMap((run, i) => {
      const charts: Chart[] = [
        {
          name: `robustness-${i + 1}`,
          title: `Robustness: ${modelLabel(run.model)}`,
          svg: matrixSvg({
            title: `Image queries unlike the catalog's: ${modelLabel(run.model)}`,
            rowLabels: run.sets.map((s) => s.name),
            columnLabels: metrics,
            values: run.sets.map((s) => metrics.map((m) => s.metrics[m] ?? Number.NaN)),
            rowAxis: 'query set',
            columnAxis: 'metric',
            scale: 'global',
            digits: 2,
          }),
        },
      ];
      for (const set of run.sets) {
        if (!set.perClass || set.perClass.length === 0) continue;
        const perClass = results.ks.map((k) => `precision@${k}`);
        charts.push({
          name: `robustness-${i + 1}-${set.name.replace(/[^a-z0-9]+/gi, '-')}-per-class`,
          title: `${set.name} per class: ${modelLabel(run.model)}`,
          svg: matrixSvg({
            title: `${set.name}: same-${results.field} precision per class, ${modelLabel(run.model)}`,
            rowLabels: set.perClass.map((c) => `${c.label} (${c.queries})`),
            columnLabels: perClass,
            values: set.perClass.map((c) => perClass.map((m) => c.metrics[m] ?? Number.NaN)),
            rowAxis: 'label',
            columnAxis: 'metric',
            scale: 'global',
            digits: 2,
          }),
        });
      }
      return charts;
    });
  }
  if (results.task === 'zero-shot') {
    return results.runs.map((run, i) => ({
      name: `confusion-matrix-${i + 1}`,
      title: `Confusion matrix: ${modelLabel(run.model)}`,
      svg: confusionSvg(run.labels, run.confusion, `Zero-shot confusion matrix: ${modelLabel(run.model)}`),
    }));
  }
  const charts: Chart[] = [
    {
      name: 'recall-curve',
      title: `Recall@k, ${results.task}`,
      svg: recallCurveSvg(
        results.runs.map((r) => ({ name: modelLabel(r.model), values: r.recallCurve })),
        { title: `Mean recall@k: ${results.task}` },
      ),
    },
  ];
  results.runs.forEach((run, i) => {
    if (!run.heatmap || run.heatmap.productIds.length === 0) return;
    charts.push({
      name: `similarity-heatmap-${i + 1}`,
      title: `Text vs image similarity: ${modelLabel(run.model)}`,
      svg: similarityHeatmapSvg(run.heatmap.titles, run.heatmap.productIds, run.heatmap.similarity, `Title vs image cosine: ${modelLabel(run.model)}`),
    });
  });
  return charts;
}

/** Renders an SVG string to a PNG file with sharp (librsvg). */
export async function renderPng(svg: string, path: string): Promise<void> {
  await sharp(Buffer.from(svg)).png().toFile(path);
}

export async function writeReport(results: EvalResults, options: WriteReportOptions): Promise<ReportFiles> {
  await mkdir(options.outDir, { recursive: true });
  const json = join(options.outDir, 'results.json');
  const markdownPath = join(options.outDir, 'results.md');
  const html = join(options.outDir, 'report.html');
  const markdown = renderMarkdown(results);
  await writeFile(json, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(markdownPath, markdown);
  const charts: ReportFiles['charts'] = [];
  const figures: HtmlFigure[] = [];
  for (const chart of chartsFor(results)) {
    const svgPath = join(options.outDir, `${chart.name}.svg`);
    const pngPath = join(options.outDir, `${chart.name}.png`);
    await writeFile(svgPath, chart.svg);
    await renderPng(chart.svg, pngPath);
    charts.push({ name: chart.name, svg: svgPath, png: pngPath });
    figures.push({ title: chart.title, svg: chart.svg, png: `${chart.name}.png` });
  }
  await writeFile(html, renderHtml({ title: `Vitrine eval: ${results.task}`, markdown, figures }));
  return { json, markdown: markdownPath, html, charts };
}
