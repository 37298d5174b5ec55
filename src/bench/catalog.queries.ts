// Bench queries drawn from the catalog's val split: shoppers' texts (titles and "colour gender type" phrases),
// photos, the same texts with a filter, and with a filter plus facets. Every query is distinct within a run so
// that the server's caches never answer a query that is being timed as uncached.
import { readFile } from 'node:fs/promises';
import type { Attributes, Filters } from '../domain/types.js';
import type { CatalogEntry } from '../stores/catalog/read-catalog.js';

export type QueryKind = 'text' | 'image' | 'filter' | 'facets';
export const QUERY_KINDS: QueryKind[] = ['text', 'image', 'filter', 'facets'];

export interface BenchQuery {
  kind: QueryKind;
  text?: string;
  image?: Buffer;
  filters?: Filters;
  facets?: boolean;
  /** Result page offset; the load phase pages through results so that repeats are not answered from the cache. */
  offset?: number;
}

export interface QuerySets {
  /** Query pools per kind, each in a fixed order, distinct within and across text kinds. */
  pools: Record<QueryKind, BenchQuery[]>;
}

const usable = (v: string | undefined): v is string => v !== undefined && v.trim() !== '' && v !== 'NA';

function phrase(a: Attributes): string | null {
  const parts = [a.baseColour, a.gender, a.articleType];
  return parts.every(usable) ? parts.join(' ').toLowerCase() : null;
}

/**
 * Texts from val products, titles and attribute phrases interleaved, deduplicated, each with the product it
 * came from (for a realistic filter). Then dealt round-robin to the three text kinds so none shares a text.
 */
export async function buildQuerySets(entries: readonly CatalogEntry[], options: { photos: number }): Promise<QuerySets> {
  const val = entries.flatMap((e) => (e.ok && e.product.attributes.split === 'val' ? [e.product] : []));
  const seen = new Set<string>();
  const texts: { text: string; attributes: Attributes }[] = [];
  const add = (text: string | null, attributes: Attributes) => {
    if (!text || seen.has(text)) return;
    seen.add(text);
    texts.push({ text, attributes });
  };
  for (const p of val) {
    add(p.title.toLowerCase().trim(), p.attributes);
    add(phrase(p.attributes), p.attributes);
  }
  const pools: Record<QueryKind, BenchQuery[]> = { text: [], image: [], filter: [], facets: [] };
  texts.forEach((t, i) => {
    const a = t.attributes;
    switch (i % 3) {
      case 0:
        pools.text.push({ kind: 'text', text: t.text });
        break;
      case 1: {
        // Broad (gender, about half the catalog) and selective (article type, a few percent) filters in turn.
        const field = pools.filter.length % 2 === 0 ? 'gender' : 'articleType';
        if (usable(a[field])) pools.filter.push({ kind: 'filter', text: t.text, filters: { [field]: a[field] } });
        break;
      }
      default:
        if (usable(a.gender)) pools.facets.push({ kind: 'facets', text: t.text, filters: { gender: a.gender }, facets: true });
    }
  });
  const photos = val.slice(0, options.photos);
  const bytes = await Promise.all(photos.map((p) => readFile(p.imageRef).catch(() => null)));
  for (const b of bytes) if (b) pools.image.push({ kind: 'image', image: b });
  return { pools };
}

/** Takes `n` queries of each kind from the pools (removing them), interleaved text, image, filter, facets, ... */
export function takeInterleaved(sets: QuerySets, n: number): BenchQuery[] {
  const taken = Object.fromEntries(QUERY_KINDS.map((k) => [k, sets.pools[k].splice(0, n)])) as Record<QueryKind, BenchQuery[]>;
  const out: BenchQuery[] = [];
  for (let i = 0; i < n; i++) for (const k of QUERY_KINDS) if (taken[k][i]) out.push(taken[k][i]);
  return out;
}
