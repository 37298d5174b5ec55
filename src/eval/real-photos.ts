// A folder of labelled photos as robustness queries: which catalog articleTypes count as the same kind of garment
// for each label (a reviewed JSON map, data/real-photo-labels.json for shared/data/real-photos), and the fixed
// split into a half to select models on and a half to report once (DECISIONS.md), by a hash of the file name.
import { createHash } from 'node:crypto';
import path from 'node:path';

export type PhotoHalf = 'select' | 'report';

/**
 * `select` or `report` by the first 8 hex digits of the SHA-256 of the file's base name (even -> select). The
 * training code uses the same rule (training/vitrine_train/views.py `photo_half`), so selection never sees the
 * report half.
 */
export function photoHalf(file: string): PhotoHalf {
  const digest = createHash('sha256').update(path.basename(file), 'utf8').digest('hex');
  return Number.parseInt(digest.slice(0, 8), 16) % 2 === 0 ? 'select' : 'report';
}

/** Label -> accepted catalog values (e.g. articleTypes). Keys starting with `_` are comments. */
export type LabelMap = Record<string, string[]>;

export function parseLabelMap(document: unknown): LabelMap {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new RangeError('a label map is a JSON object {"<label>": ["<articleType>", ...]}');
  }
  const map: LabelMap = {};
  for (const [label, values] of Object.entries(document as Record<string, unknown>)) {
    if (label.startsWith('_')) continue;
    if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string' && v !== '')) {
      throw new RangeError(`label map entry "${label}" must be a non-empty list of strings`);
    }
    map[label] = values as string[];
  }
  if (Object.keys(map).length === 0) throw new RangeError('the label map names no label');
  return map;
}

export interface LabelledPhoto {
  file: string;
  label: string;
}

/** The photos of the chosen half (all when undefined) whose label the map knows, in file order. */
export function selectPhotos(rows: readonly LabelledPhoto[], map: LabelMap, half?: PhotoHalf): LabelledPhoto[] {
  return rows.filter((r) => map[r.label] !== undefined && (half === undefined || photoHalf(r.file) === half));
}
