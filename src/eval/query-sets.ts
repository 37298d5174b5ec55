// Seeded query sets beyond titles and bare attribute values: brand queries ("<brand> <articleType>", brands from
// a reviewed list matched against titles, since the catalog has no brand column) and typo queries (one-character
// edits of other queries). Shared by `vitrine eval`, tests and hybrid search. Pure: same input and seed, same
// queries, whatever the order of the products or queries.
//
// Example:
//   const brands = parseBrandList('Nike\nRed Tape\n');
//   brandOf('Red Tape Men Brown Shoes', brands);                       // 'Red Tape'
//   brandQueries({ queryProducts: val, gallery: all, brands });       // [{ text: 'Red Tape Casual Shoes', ... }]
//   typoQueries(attributeQueries, { seed: 0 });                       // 'Navy Blue' -> 'Navy Bleu', relevant unchanged
import type { Product } from '../domain/types.js';
import { fieldValue, type EvalQuery } from './queries.js';
import { seededRandom } from '../domain/seeded-random.js';

/** The seed `vitrine eval` uses unless told otherwise, so published typo figures can be reproduced. */
export const DEFAULT_QUERY_SEED = 0;

/** Lines of a brand list file: one brand per line, `#` starts a comment line, blank lines ignored. */
export function parseBrandList(text: string): string[] {
  const brands: string[] = [];
  const seen = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim().replace(/\s+/g, ' ');
    if (line === '' || line.startsWith('#')) continue;
    const key = line.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    brands.push(line);
  }
  return brands;
}

function words(text: string): string[] {
  return text.trim().toLowerCase().split(/\s+/).filter(Boolean);
}

/** Brands indexed by their first word, longest first, so brandOf checks only the few that can match. */
export interface BrandMatcher {
  byFirstWord: Map<string, { brand: string; words: string[] }[]>;
}

export function brandMatcher(brands: readonly string[]): BrandMatcher {
  const byFirstWord = new Map<string, { brand: string; words: string[] }[]>();
  for (const brand of brands) {
    const w = words(brand);
    if (w.length === 0) continue;
    const list = byFirstWord.get(w[0]) ?? [];
    list.push({ brand, words: w });
    byFirstWord.set(w[0], list);
  }
  for (const list of byFirstWord.values()) list.sort((a, b) => b.words.length - a.words.length);
  return { byFirstWord };
}

/**
 * The longest listed brand a title starts with, compared case-insensitively on whole words ("Jockey ZONE Men
 * Briefs" -> "Jockey" when only "Jockey" is listed; "Lee Cooper ..." -> "Lee Cooper" when both are listed).
 */
export function brandOf(title: string, brands: readonly string[] | BrandMatcher): string | undefined {
  const matcher = Array.isArray(brands) ? brandMatcher(brands) : (brands as BrandMatcher);
  const t = words(title);
  if (t.length === 0) return undefined;
  for (const candidate of matcher.byFirstWord.get(t[0]) ?? []) {
    if (candidate.words.length <= t.length && candidate.words.every((w, i) => t[i] === w)) return candidate.brand;
  }
  return undefined;
}

export interface BrandQueryOptions {
  /** Products whose (brand, articleType) pairs become queries, e.g. the val split. */
  queryProducts: readonly Product[];
  /** Products searched; those with the query's brand and articleType are relevant. */
  gallery: readonly Product[];
  brands: readonly string[];
  /** Field combined with the brand (default `articleType`). */
  field?: string;
}

/**
 * One query `<brand> <articleType>` per distinct pair among the query products; relevant = gallery products whose
 * title starts with that brand and that have that articleType. Sorted by query text.
 */
export function brandQueries(options: BrandQueryOptions): EvalQuery[] {
  const field = options.field ?? 'articleType';
  const matcher = brandMatcher(options.brands);
  const key = (p: Product): [string, string] | undefined => {
    const brand = brandOf(p.title, matcher);
    const value = fieldValue(p, field);
    return brand === undefined || value === undefined ? undefined : [brand, value];
  };
  const texts = new Set<string>();
  for (const p of options.queryProducts) {
    const k = key(p);
    if (k) texts.add(`${k[0]} ${k[1]}`);
  }
  const relevant = new Map<string, Set<string>>();
  for (const p of options.gallery) {
    const k = key(p);
    if (!k) continue;
    const text = `${k[0]} ${k[1]}`;
    if (!texts.has(text)) continue;
    const ids = relevant.get(text) ?? new Set<string>();
    ids.add(p.id);
    relevant.set(text, ids);
  }
  return [...texts].sort().map((text) => ({ id: text, text, relevant: relevant.get(text) ?? new Set() }));
}

/** FNV-1a over the seed and a key: each query gets its own stream, independent of the order of the others. */
export function hashSeed(seed: number, key: string): number {
  let h = 0x811c9dc5;
  const text = `${seed}\u0000${key}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export type TypoKind = 'delete' | 'insert' | 'substitute' | 'transpose';
const TYPO_KINDS: readonly TypoKind[] = ['delete', 'insert', 'substitute', 'transpose'];
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/**
 * One seeded one-character edit (Damerau's four: delete, insert, substitute, transpose with the next letter) at a
 * letter of the text; the result always differs from the input. Text without a letter comes back unchanged.
 */
export function typoEdit(text: string, random: () => number): { text: string; kind?: TypoKind; position?: number } {
  const letters: number[] = [];
  for (let i = 0; i < text.length; i++) if (/[a-z]/i.test(text[i])) letters.push(i);
  if (letters.length === 0) return { text };
  const pick = <T>(items: readonly T[]): T => items[Math.min(items.length - 1, Math.floor(random() * items.length))];
  // A few tries: a transpose of two equal letters or a substitution drawing the same letter changes nothing.
  for (let attempt = 0; attempt < 16; attempt++) {
    const position = pick(letters);
    const kind = pick(TYPO_KINDS);
    const ch = text[position];
    const upper = ch !== ch.toLowerCase();
    const letter = () => {
      const l = pick(LETTERS.replace(ch.toLowerCase(), '').split(''));
      return upper ? l.toUpperCase() : l;
    };
    let edited: string;
    switch (kind) {
      case 'delete':
        edited = text.slice(0, position) + text.slice(position + 1);
        break;
      case 'insert':
        edited = text.slice(0, position + 1) + letter() + text.slice(position + 1);
        break;
      case 'substitute':
        edited = text.slice(0, position) + letter() + text.slice(position + 1);
        break;
      case 'transpose':
        if (position + 1 >= text.length || !/[a-z]/i.test(text[position + 1])) continue;
        edited = text.slice(0, position) + text[position + 1] + ch + text.slice(position + 2);
        break;
    }
    if (edited !== text && edited.trim() !== '') return { text: edited, kind, position };
  }
  return { text };
}

export interface TypoQueryOptions {
  seed?: number;
}

/**
 * The same queries with one seeded one-character edit each (relevant sets unchanged). A query's edit depends only
 * on the seed and the query id. Queries whose text cannot be edited (no letter) are dropped.
 */
export function typoQueries(queries: readonly EvalQuery[], options: TypoQueryOptions = {}): EvalQuery[] {
  const seed = options.seed ?? DEFAULT_QUERY_SEED;
  const out: EvalQuery[] = [];
  for (const q of queries) {
    if (q.text === undefined) continue;
    const edit = typoEdit(q.text, seededRandom(hashSeed(seed, q.id)));
    if (edit.kind === undefined) continue;
    out.push({ ...q, id: `${q.id} -> ${edit.text}`, text: edit.text, relevant: new Set(q.relevant) });
  }
  return out;
}
