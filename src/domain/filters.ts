// Metadata filters: validation against the index's known fields, forgiving values (case and spaces, with the
// closest known values for one that matches nothing), and matching, as pure functions.
import { distance as levenshtein } from 'fastest-levenshtein';
import { AppError } from '../errors/app-error.js';
import type { Attributes, Facets, Filters } from './types.js';

/** Field -> accepted values; a product matches when every field has one of its values. */
export type NormalizedFilters = Map<string, string[]>;

export function normalizeFilters(filters: Filters | undefined, knownFields: readonly string[]): NormalizedFilters {
  const out: NormalizedFilters = new Map();
  if (!filters) return out;
  if (typeof filters !== 'object' || Array.isArray(filters)) {
    throw new AppError('BAD_REQUEST', 'filters must be an object of field -> value or [values]');
  }
  const unknown = Object.keys(filters).filter((f) => !knownFields.includes(f));
  if (unknown.length > 0) {
    throw new AppError('UNKNOWN_FILTER_FIELD', `unknown filter field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; known fields: ${knownFields.join(', ') || '(none)'}`, {
      details: { unknown, known: knownFields },
    });
  }
  for (const [field, value] of Object.entries(filters)) {
    const values = Array.isArray(value) ? value : [value];
    if (values.length === 0) continue;
    if (!values.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) {
      throw new AppError('BAD_REQUEST', `filter ${field}: values must be strings`);
    }
    out.set(field, [...new Set(values.map(String))]);
  }
  return out;
}

export function matchesFilters(attributes: Attributes, filters: NormalizedFilters, skipField?: string): boolean {
  for (const [field, values] of filters) {
    if (field === skipField) continue;
    const v = attributes[field];
    if (v === undefined || !values.includes(v)) return false;
  }
  return true;
}

/**
 * Disjunctive facet counts: each field's counts apply every filter except that field's own, so a user can
 * see how many products each alternative value would give. Values sorted by count desc, then name.
 */
export function countFacets(items: Iterable<Attributes>, fields: readonly string[], filters: NormalizedFilters): Facets {
  const counts = new Map<string, Map<string, number>>(fields.map((f) => [f, new Map()]));
  for (const attributes of items) {
    for (const field of fields) {
      const value = attributes[field];
      if (value === undefined || !matchesFilters(attributes, filters, field)) continue;
      const m = counts.get(field)!;
      m.set(value, (m.get(value) ?? 0) + 1);
    }
  }
  const facets: Facets = {};
  for (const [field, m] of counts) {
    facets[field] = [...m.entries()]
      .map(([value, count]) => ({ value, count }))
      .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  }
  return facets;
}

/**
 * The form filter values are compared in: Unicode NFKC, trimmed, inner runs of space as one, lower case. "women",
 * " Women " and "WOMEN" all select the products whose value is "Women".
 */
export function filterValueKey(value: string): string {
  return value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

/** A filter value that no product of the index holds, with the known values closest to it. */
export interface UnmatchedFilterValue {
  field: string;
  value: string;
  /** Up to three values of the field the index does hold, closest first. */
  closest: string[];
}

export interface ResolvedFilters {
  /**
   * The filters in the index's own spelling: each value is replaced by every stored value with the same key. A
   * value that matches none is kept as given; no product holds it, so it still selects nothing in any store.
   */
  filters: NormalizedFilters;
  unmatched: UnmatchedFilterValue[];
}

/**
 * Maps filter values to the values the index holds (`known`: field -> its distinct stored values), forgiving case
 * and spaces, and names the values that match nothing with their closest known alternatives.
 */
export function resolveFilterValues(filters: NormalizedFilters, known: ReadonlyMap<string, readonly string[]>): ResolvedFilters {
  const out: NormalizedFilters = new Map();
  const unmatched: UnmatchedFilterValue[] = [];
  for (const [field, values] of filters) {
    const byKey = new Map<string, string[]>();
    for (const stored of known.get(field) ?? []) {
      const key = filterValueKey(stored);
      byKey.set(key, [...(byKey.get(key) ?? []), stored]);
    }
    const resolved: string[] = [];
    for (const value of values) {
      const matches = byKey.get(filterValueKey(value));
      if (matches) resolved.push(...matches);
      else {
        resolved.push(value);
        unmatched.push({ field, value, closest: closestValues(value, known.get(field) ?? []) });
      }
    }
    out.set(field, [...new Set(resolved)]);
  }
  return { filters: out, unmatched };
}

/**
 * Up to `limit` known values nearest to `value` by edit distance between their keys; a known value that starts
 * with (or contains) what was typed counts as near, since a shopper often types the start of a word ("wom").
 */
export function closestValues(value: string, known: readonly string[], limit = 3): string[] {
  const key = filterValueKey(value);
  if (key === '') return [];
  const scored = known.map((candidate) => {
    const other = filterValueKey(candidate);
    const edits = levenshtein(key, other);
    const contained = other.startsWith(key) ? 0.25 : other.includes(key) ? 0.5 : 1;
    // Relative to length, so one typo in "navy blue" ranks above three in "red".
    return { candidate, distance: (Math.min(edits, other.length) / Math.max(key.length, other.length, 1)) * contained };
  });
  scored.sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate));
  return scored.slice(0, limit).map((s) => s.candidate);
}
