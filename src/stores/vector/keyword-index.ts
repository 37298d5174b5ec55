// The keyword side of hybrid search, for stores searched in memory: a full-text index (MiniSearch: BM25 ranking,
// prefix and fuzzy term matching) over each product's title and attribute values, so "Nike", "dres" or "red
// kurta" find the products whose words say so, which an image embedding cannot promise. It holds ids and words
// only (no vectors, no attributes); the kernel keeps it in step with the index version and filters by id.
//
// Example:
//   const index = KeywordIndex.build([{ id: '1', title: 'Nike Men Blue Tshirt', attributes: { baseColour: 'Blue' } }], ['baseColour']);
//   index.search({ text: 'nkie tshirt' }); // [{ id: '1', score: ... }]: one typo forgiven
import MiniSearch, { type SearchOptions } from 'minisearch';
import { byScoreThenId, type Scored } from '../../domain/ranking.js';
import type { Attributes } from '../../domain/types.js';

export interface KeywordDocument {
  id: string;
  title: string;
  attributes: Attributes;
}

export interface KeywordSearchSettings {
  /** A title word counts this many times an attribute word (titles name the brand and the product). */
  titleBoost: number;
  /**
   * Edits forgiven per query word, by its length: words of at most `exactUpTo` letters must match exactly (a typo
   * in "red" is another word), then one edit, and two from `twoEditsFrom` letters on.
   */
  exactUpTo: number;
  twoEditsFrom: number;
  /** A query word also matches the words it starts ("dres" -> "dress"), from this many letters on. */
  prefixFrom: number;
  /**
   * Forgive typos only in words the catalog does not hold: "nike" is a brand, not a typo of "mike" or "bike", so
   * it matches Nike alone; "nkie" is no catalog word, so it matches "nike".
   */
  typosInUnknownWordsOnly: boolean;
  /**
   * `and`: a product must match every query word (each fuzzily), falling back to any word when no product
   * matches all; `or`: any word, ranked by BM25.
   */
  combine: 'and' | 'or';
}

export const DEFAULT_KEYWORD_SETTINGS: Readonly<KeywordSearchSettings> = Object.freeze({
  titleBoost: 2,
  exactUpTo: 3,
  twoEditsFrom: 8,
  prefixFrom: 3,
  typosInUnknownWordsOnly: true,
  combine: 'and',
});

export interface KeywordQuery {
  text: string;
  /** Keeps only the products it accepts (filters, excluded ids). */
  accept?: (id: string) => boolean;
}

/** Words that carry no product meaning; a query that must match every word would otherwise fail on them. */
const STOP_WORDS = new Set(['a', 'an', 'and', 'for', 'from', 'in', 'of', 'on', 'or', 'the', 'to', 'with']);

/** Letters and digits runs; "T-Shirt" -> ["t", "shirt"], "Levi's" -> ["levi", "s"]. */
function tokenize(text: string): string[] {
  return text.normalize('NFKC').split(/[^\p{L}\p{N}]+/u);
}

function processTerm(term: string): string | null {
  const lower = term.toLowerCase();
  return lower === '' || STOP_WORDS.has(lower) ? null : lower;
}

export class KeywordIndex {
  private readonly search_: MiniSearch<{ id: string; title: string; attributes: string }>;
  private readonly settings: KeywordSearchSettings;
  /** Every word indexed so far (never shrinks: a word removed with its last product is still no typo). */
  private readonly vocabulary = new Set<string>();

  private constructor(
    private readonly fields: readonly string[],
    settings: Partial<KeywordSearchSettings>,
  ) {
    this.settings = { ...DEFAULT_KEYWORD_SETTINGS, ...settings };
    this.search_ = new MiniSearch({ fields: ['title', 'attributes'], storeFields: [], tokenize, processTerm });
  }

  /** Indexes `documents`: each title, and the values of `fields` among its attributes. */
  static build(documents: Iterable<KeywordDocument>, fields: readonly string[], settings: Partial<KeywordSearchSettings> = {}): KeywordIndex {
    const index = new KeywordIndex(fields, settings);
    const batch: { id: string; title: string; attributes: string }[] = [];
    for (const doc of documents) batch.push(index.toEntry(doc));
    index.search_.addAll(batch);
    return index;
  }

  get size(): number {
    return this.search_.documentCount;
  }

  private toEntry(doc: KeywordDocument): { id: string; title: string; attributes: string } {
    const entry = { id: doc.id, title: doc.title, attributes: this.fields.map((f) => doc.attributes[f] ?? '').join(' ') };
    for (const word of tokenize(`${entry.title} ${entry.attributes}`)) {
      const term = processTerm(word);
      if (term) this.vocabulary.add(term);
    }
    return entry;
  }

  /** Adds or replaces documents (a write seen by this process). */
  upsert(documents: Iterable<KeywordDocument>): void {
    for (const doc of documents) {
      if (this.search_.has(doc.id)) this.search_.replace(this.toEntry(doc));
      else this.search_.add(this.toEntry(doc));
    }
  }

  remove(ids: Iterable<string>): void {
    for (const id of ids) if (this.search_.has(id)) this.search_.discard(id);
  }

  private options(combineWith: 'AND' | 'OR', accept?: (id: string) => boolean): SearchOptions {
    const s = this.settings;
    return {
      combineWith,
      boost: { title: s.titleBoost },
      prefix: (term) => term.length >= s.prefixFrom,
      fuzzy: (term) => {
        if (term.length <= s.exactUpTo || (s.typosInUnknownWordsOnly && this.vocabulary.has(term))) return false;
        return term.length >= s.twoEditsFrom ? 2 : 1;
      },
      ...(accept ? { filter: (result) => accept(String(result.id)) } : {}),
    };
  }

  /** Every matching product, best first (BM25 with prefix and fuzzy matches weighted down; ties by id). */
  search(query: KeywordQuery): Scored[] {
    const run = (combine: 'AND' | 'OR') => this.search_.search(query.text, this.options(combine, query.accept));
    let results = run(this.settings.combine === 'and' ? 'AND' : 'OR');
    if (results.length === 0 && this.settings.combine === 'and') results = run('OR');
    return results.map((r) => ({ id: String(r.id), score: r.score })).sort(byScoreThenId);
  }
}
