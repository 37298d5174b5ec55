// Metadata filters: validation against the index's known fields, and matching, as pure functions.
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
