// Zero-shot classification scoring: nearest class prompt per image, then accuracy, macro-F1 and a confusion matrix.
// Pure: embeddings in, numbers out.
import { parse } from 'csv-parse/sync';
import { dot, l2Normalize } from '../domain/vector-math.js';
import { applyPrompt } from './queries.js';

/** Every prompt text, label-major: texts[labelIndex * templates.length + templateIndex]. */
export function promptTexts(labels: readonly string[], templates: readonly string[]): string[] {
  const ts = templates.length > 0 ? templates : ['{}'];
  return labels.flatMap((label) => ts.map((t) => applyPrompt(t, label)));
}

/** Averages each label's template embeddings (CLIP's prompt ensembling) and re-normalises. */
export function classEmbeddings(labelCount: number, templateCount: number, vectors: readonly Float32Array[]): Float32Array[] {
  const perLabel = Math.max(1, templateCount);
  if (vectors.length !== labelCount * perLabel) {
    throw new RangeError(`expected ${labelCount * perLabel} prompt vectors, got ${vectors.length}`);
  }
  const out: Float32Array[] = [];
  for (let l = 0; l < labelCount; l++) {
    const dim = vectors[l * perLabel].length;
    const acc = new Float32Array(dim);
    for (let t = 0; t < perLabel; t++) {
      const v = vectors[l * perLabel + t];
      for (let i = 0; i < dim; i++) acc[i] += v[i];
    }
    out.push(l2Normalize(acc));
  }
  return out;
}

/** Index of the most similar class per image; ties go to the lower class index (labels are sorted). */
export function nearestClass(images: readonly Float32Array[], classes: readonly Float32Array[]): number[] {
  return images.map((img) => {
    let best = -1;
    let bestScore = -Infinity;
    classes.forEach((c, i) => {
      const s = dot(img, c);
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    });
    return best;
  });
}

export interface ClassificationReport {
  labels: string[];
  /** matrix[true][predicted] counts. */
  confusion: number[][];
  accuracy: number | null;
  macroF1: number | null;
  perClass: { label: string; support: number; precision: number; recall: number; f1: number }[];
}

/**
 * Accuracy, macro-F1 (unweighted mean of per-class F1 over `labels`) and the confusion matrix.
 * A class never predicted has precision 0 (sklearn's zero_division=0); null figures mean no samples.
 */
export function classificationReport(labels: readonly string[], truth: readonly number[], predicted: readonly number[]): ClassificationReport {
  if (truth.length !== predicted.length) throw new RangeError('truth and predictions differ in length');
  const n = labels.length;
  const confusion = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    confusion[truth[i]][predicted[i]]++;
    if (truth[i] === predicted[i]) correct++;
  }
  const perClass = labels.map((label, c) => {
    const tp = confusion[c][c];
    let support = 0;
    let predictedCount = 0;
    for (let j = 0; j < n; j++) {
      support += confusion[c][j];
      predictedCount += confusion[j][c];
    }
    const precision = predictedCount === 0 ? 0 : tp / predictedCount;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, support, precision, recall, f1 };
  });
  const samples = truth.length;
  return {
    labels: [...labels],
    confusion,
    accuracy: samples === 0 ? null : correct / samples,
    macroF1: samples === 0 || n === 0 ? null : perClass.reduce((s, c) => s + c.f1, 0) / n,
    perClass,
  };
}

/** Parses a `file,label` CSV (header optional, quoted fields allowed). Returns rows in file order. */
export function parseLabelsCsv(text: string): { file: string; label: string }[] {
  const records = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  const rows: { file: string; label: string }[] = [];
  records.forEach((cells, index) => {
    if (cells.length < 2 || cells[0] === '' || cells[1] === '') {
      throw new RangeError(`labels line ${index + 1}: expected "file,label"`);
    }
    const [file, label] = cells;
    if (index === 0 && file.toLowerCase() === 'file' && label.toLowerCase() === 'label') return;
    rows.push({ file, label });
  });
  return rows;
}
