// Which attribute fields become filters, and in what order: a catalog's columns include ones no shopper filters by
// (a train/test split, ids, a year), and a field where every product has the same value narrows nothing. Pure.
//
// Example:
//   defaultFacetFields({ fields: ['gender', 'split', 'year', 'sku'], distinctValues: { gender: 5, split: 3, year: 14, sku: 9000 }, products: 9000 });
//   // ['gender']
//   orderFacetFields({ gender: [{ value: 'Men', count: 50 }, { value: 'Women', count: 50 }], masterCategory: [{ value: 'Apparel', count: 95 }, { value: 'Footwear', count: 5 }] });
//   // ['gender', 'masterCategory']: gender halves the catalog, masterCategory barely narrows it
import type { FacetValue, Facets } from './types.js';

/** Fields left out of the default facets: bookkeeping columns, not product properties. Named ones still work. */
const NOT_FACETS = new Set(['split', 'year']);

/** Field names that say "identifier": id, productId, product_id, sku, ean, url, path... */
const ID_LIKE = /(^|[_\-\s])(id|sku|ean|upc|gtin|url|uri|path|file)$|[a-z](Id|ID|Sku|Url|Path)$|^(id|sku|ean|upc|gtin|url|uri|path|file)$/;

export interface FacetFieldStats {
  fields: readonly string[];
  /** Distinct values per field over the whole index. */
  distinctValues: Readonly<Record<string, number>>;
  products: number;
}

/**
 * The facets shown when config names none: every attribute field except the split and the year (asked for by
 * name only), fields named like identifiers, and fields whose values are nearly all distinct (over half the
 * products, and over 100 values: identifiers whatever their name).
 */
export function defaultFacetFields(stats: FacetFieldStats): string[] {
  return stats.fields.filter((field) => {
    if (NOT_FACETS.has(field.toLowerCase()) || ID_LIKE.test(field)) return false;
    const distinct = stats.distinctValues[field] ?? 0;
    return !(distinct > 100 && distinct > stats.products / 2);
  });
}

/**
 * How much choosing one value narrows the products, on average: the chance that two products drawn at random hold
 * different values (Gini impurity, 1 - sum p^2). 0 for a field with one value; near 1 for many even values.
 */
export function selectivity(values: readonly FacetValue[]): number {
  const total = values.reduce((sum, v) => sum + v.count, 0);
  if (total === 0) return 0;
  return 1 - values.reduce((sum, v) => sum + (v.count / total) ** 2, 0);
}

/** Fields by selectivity, most selective first (ties by name), so the filters that narrow most come first. */
export function orderFacetFields(facets: Facets): string[] {
  const score = new Map(Object.entries(facets).map(([field, values]) => [field, selectivity(values)]));
  return [...score.keys()].sort((a, b) => score.get(b)! - score.get(a)! || a.localeCompare(b));
}
