// The keyword side of hybrid search, for stores searched in memory: an inverted index over each product's title
// and attribute values, so "Nike", "dres" or "red kurta" find the products whose words say so, which an image
// embedding cannot promise. Words are looked up in MiniSearch's radix tree (exact, by their start, or within one or
// two edits); products are scored with BM25 over flat posting lists. MiniSearch's own search was measured at
// 115-1,500 ms a query on the 44k catalog (it builds a result object per match), too slow for as-you-type search;
// the posting-list loop answers in a few milliseconds. It holds ids and words only (no vectors, no attributes);
// the kernel keeps it in step with the index version and filters by id.
//
// Example:
//   const index = KeywordIndex.build([{ id: '1', title: 'Nike Men Blue Tshirt', attributes: { baseColour: 'Blue' } }], ['baseColour']);
//   index.search({ text: 'nkie tshirt' }); // [{ id: '1', score: ... }]: one typo forgiven
import SearchableMap from 'minisearch/SearchableMap';
import { byScoreThenId, type Scored } from '../../domain/ranking.js';
import type { Attributes } from '../../domain/types.js';

export interface KeywordDocument {
  id: string;
  title: string;
  attributes: Attributes;
}

export interface KeywordSearchSettings {
  /**
   * A title word counts this many times an attribute word. 1: on val, weighing titles double lowered attribute
   * and brand precision@1 (0.994 -> 0.968, 0.985 -> 0.972) and left title queries as they were.
   */
  titleBoost: number;
  /**
   * Edits forgiven per query word, by its length: words of at most `exactUpTo` letters must match exactly (a typo
   * in "red" is another word), then one edit, and two from `twoEditsFrom` letters on. Two from 4 letters on, since
   * a swap of two letters ("nkie") is two edits: on the val typo queries that took precision@1 from 0.838 to 0.877.
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
   * Weight of a word matched by its start, and of one matched within edits, against an exact match (1). A swap of
   * two neighbouring letters weighs as one edit: on the val typo queries that took precision@1 from 0.945 to 0.955.
   */
  prefixWeight: number;
  fuzzyWeight: number;
  /**
   * How much a query word's expansions are weighed by how often the catalog uses them: each is multiplied by
   * (its document count / that of the most used word the query word fits at least as well) to this power. A shopper
   * typing "dres" means "dress" (in a thousand products) far more likely than "tres" (one edit away, in two). 0
   * ignores document counts; exact matches are never weighed down. 0.5: on the val typo queries 0 scored 0.949
   * precision@1 and 0.5 0.945 (three rare brand typos lost to a commoner word as close), 1 0.943; titles, attribute
   * and brand queries alike for all three.
   */
  frequencyExponent: number;
  /**
   * `and`: a product must match every query word (each fuzzily), falling back to any word when no product
   * matches all; `or`: any word, ranked by BM25.
   */
  combine: 'and' | 'or';
}

export const DEFAULT_KEYWORD_SETTINGS: Readonly<KeywordSearchSettings> = Object.freeze({
  titleBoost: 1,
  exactUpTo: 3,
  twoEditsFrom: 4,
  prefixFrom: 3,
  typosInUnknownWordsOnly: true,
  prefixWeight: 0.5,
  fuzzyWeight: 0.5,
  frequencyExponent: 0.5,
  combine: 'and',
});

export interface KeywordQuery {
  text: string;
  /** Keeps only the products it accepts (filters, excluded ids). */
  accept?: (id: string) => boolean;
}

/**
 * The products a query's words match: counted and tested at once, ranked only as deep as asked. A common word
 * matches half the catalog; a page needs its best few hundred, and counts need none ranked.
 */
export interface KeywordMatches {
  /** How many products match. */
  readonly size: number;
  has(id: string): boolean;
  /** Every match's id, in index order. */
  ids(): string[];
  /**
   * The best `limit` matches that `accept` keeps, best first (BM25, ties by id), and how many it keeps in all. Only
   * the matches at or above the `limit`-th best score are sorted.
   */
  top(options: { limit: number; accept?: (id: string) => boolean }): { ranked: Scored[]; accepted: number };
}

const NO_MATCHES: KeywordMatches = Object.freeze({
  size: 0,
  has: () => false,
  ids: () => [],
  top: () => ({ ranked: [], accepted: 0 }),
});

/** BM25's usual constants (Robertson and Zaragoza): term-frequency saturation and length normalisation. */
const K1 = 1.2;
const B = 0.75;
/** Query words whose document counts are remembered between writes (see documentsOf). */
const MAX_REMEMBERED_WORDS = 50_000;
/**
 * Words a query word may stand for by its start or within edits, the heaviest kept: a short word starts hundreds of
 * catalog words, whose postings together would touch half the catalog.
 */
const MAX_EXPANSIONS = 50;

/** Words that carry no product meaning; a query that must match every word would otherwise fail on them. */
const STOP_WORDS = new Set(['a', 'an', 'and', 'for', 'from', 'in', 'of', 'on', 'or', 'the', 'to', 'with']);

/** Runs of letters and digits, lower-cased, without stop words: "T-Shirt for Men" -> ["t", "shirt", "men"]. */
export function keywordTerms(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t !== '' && !STOP_WORDS.has(t));
}

/**
 * Whether `b` is `a` with two neighbouring letters swapped ("nkie", "nike"): one slip of the fingers, weighed as one
 * edit, though Levenshtein distance (the radix tree's) counts two.
 */
function isSwap(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i + 1 < a.length && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
}

/**
 * One word's products: parallel lists of rows and (title-boosted) counts. A loaded index (fromSaved) holds views of
 * the saved typed arrays, turned into plain lists only when a write adds to the word.
 */
interface Postings {
  rows: number[] | Uint32Array;
  counts: number[] | Float64Array;
}

/** The postings as growable lists (a loaded word's typed views are copied once, when a write first touches it). */
function writable(postings: Postings): { rows: number[]; counts: number[] } {
  if (!Array.isArray(postings.rows)) postings.rows = Array.from(postings.rows);
  if (!Array.isArray(postings.counts)) postings.counts = Array.from(postings.counts);
  return postings as { rows: number[]; counts: number[] };
}

/**
 * A keyword index as plain lists and typed arrays, for the copy file (memory-index/copy-file.ts): every word in
 * one list, its postings at offsets[i]..offsets[i+1] of `rows` and `counts`. Loading it (fromSaved) costs a radix
 * tree of the words instead of a tokenization and a tree lookup per word of every product.
 */
export interface SavedKeywords {
  /** KEYWORD_FORMAT of the build that saved it: words split or scored another way make it unusable. */
  format: number;
  settings: KeywordSearchSettings;
  fields: string[];
  /** Row -> id, removed rows included (their postings stay, skipped through `live`). */
  ids: string[];
  /** 1 for a live row. */
  live: Uint8Array;
  lengths: Float64Array;
  totalLength: number;
  liveCount: number;
  terms: string[];
  offsets: Uint32Array;
  rows: Uint32Array;
  counts: Float64Array;
}

/** Bump when keywordTerms, the postings or the scoring change: an index saved by another build is built again. */
export const KEYWORD_FORMAT = 1;

export class KeywordIndex {
  private readonly settings: KeywordSearchSettings;
  private readonly terms = new SearchableMap<Postings>();
  private readonly ids: string[] = [];
  private readonly rowOf = new Map<string, number>();
  /** Boosted word count per row; 0 for a removed row (its postings are skipped through `live`). */
  private readonly lengths: number[] = [];
  private readonly live: boolean[] = [];
  private totalLength = 0;
  private liveCount = 0;
  /** Counts writes, so that `match`'s length norms are recomputed after one. */
  private changes = 0;
  private work: { total: Float64Array; best: Float64Array; lengthNorm: Float64Array; seen: Uint8Array; normsOf: number } | null = null;
  /** Per query word, the live products its expansions list (documentsOf), as of `changes` writes. */
  private wordDocuments: { changes: number; counts: Map<string, number> } = { changes: -1, counts: new Map() };

  private constructor(
    private readonly fields: readonly string[],
    settings: Partial<KeywordSearchSettings>,
  ) {
    this.settings = { ...DEFAULT_KEYWORD_SETTINGS, ...settings };
  }

  /** Indexes `documents`: each title, and the values of `fields` among its attributes. */
  static build(documents: Iterable<KeywordDocument>, fields: readonly string[], settings: Partial<KeywordSearchSettings> = {}): KeywordIndex {
    const index = new KeywordIndex(fields, settings);
    index.upsert(documents);
    return index;
  }

  /**
   * The index saved by `saved()`, equivalent to it in every match and score (and after further writes), when it was
   * saved by a build that splits and scores words as this one, with these fields and settings; null otherwise.
   */
  static fromSaved(saved: SavedKeywords, expected: { fields: readonly string[]; settings?: Partial<KeywordSearchSettings> }): KeywordIndex | null {
    const settings: KeywordSearchSettings = { ...DEFAULT_KEYWORD_SETTINGS, ...expected.settings };
    const sameSettings = (Object.keys(settings) as (keyof KeywordSearchSettings)[]).every((k) => saved.settings[k] === settings[k]);
    const sameFields = saved.fields.length === expected.fields.length && [...saved.fields].sort().join('\0') === [...expected.fields].sort().join('\0');
    const n = saved.ids.length;
    const t = saved.terms.length;
    if (saved.format !== KEYWORD_FORMAT || !sameSettings || !sameFields) return null;
    if (saved.live.length !== n || saved.lengths.length !== n || saved.offsets.length !== t + 1 || saved.offsets[t] !== saved.rows.length || saved.counts.length !== saved.rows.length) return null;
    const index = new KeywordIndex(saved.fields, settings);
    for (let row = 0; row < n; row++) {
      const id = saved.ids[row];
      index.ids.push(id);
      index.lengths.push(saved.lengths[row]);
      const live = saved.live[row] === 1;
      index.live.push(live);
      if (live) index.rowOf.set(id, row);
    }
    for (let i = 0; i < t; i++) {
      const from = saved.offsets[i];
      const to = saved.offsets[i + 1];
      if (to < from) return null;
      index.terms.set(saved.terms[i], { rows: saved.rows.subarray(from, to), counts: saved.counts.subarray(from, to) });
    }
    index.totalLength = saved.totalLength;
    index.liveCount = saved.liveCount;
    return index;
  }

  /** The index as lists and typed arrays (for the copy file); fromSaved loads it. */
  saved(): SavedKeywords {
    const terms: string[] = [];
    const lists: Postings[] = [];
    let total = 0;
    this.terms.forEach((term, postings) => {
      terms.push(term);
      lists.push(postings);
      total += postings.rows.length;
    });
    const offsets = new Uint32Array(terms.length + 1);
    const rows = new Uint32Array(total);
    const counts = new Float64Array(total);
    let at = 0;
    lists.forEach((postings, i) => {
      offsets[i] = at;
      rows.set(postings.rows, at);
      counts.set(postings.counts, at);
      at += postings.rows.length;
    });
    offsets[terms.length] = at;
    return {
      format: KEYWORD_FORMAT,
      settings: { ...this.settings },
      fields: [...this.fields],
      ids: [...this.ids],
      live: Uint8Array.from(this.live, (live) => (live ? 1 : 0)),
      lengths: Float64Array.from(this.lengths),
      totalLength: this.totalLength,
      liveCount: this.liveCount,
      terms,
      offsets,
      rows,
      counts,
    };
  }

  get size(): number {
    return this.liveCount;
  }

  /** Adds or replaces documents (a write seen by this process). A replaced product gets a new row. */
  upsert(documents: Iterable<KeywordDocument>): void {
    this.changes++;
    for (const doc of documents) {
      this.remove([doc.id]);
      const row = this.ids.length;
      this.ids.push(doc.id);
      this.rowOf.set(doc.id, row);
      const counts = new Map<string, number>();
      const add = (text: string, weight: number) => {
        for (const term of keywordTerms(text)) counts.set(term, (counts.get(term) ?? 0) + weight);
      };
      add(doc.title, this.settings.titleBoost);
      for (const field of this.fields) if (doc.attributes[field]) add(doc.attributes[field], 1);
      let length = 0;
      for (const [term, count] of counts) {
        const postings = writable(this.terms.fetch(term, () => ({ rows: [], counts: [] })));
        postings.rows.push(row);
        postings.counts.push(count);
        length += count;
      }
      this.lengths.push(length);
      this.live.push(true);
      this.totalLength += length;
      this.liveCount++;
    }
  }

  remove(ids: Iterable<string>): void {
    this.changes++;
    for (const id of ids) {
      const row = this.rowOf.get(id);
      if (row === undefined) continue;
      this.rowOf.delete(id);
      this.live[row] = false;
      this.totalLength -= this.lengths[row];
      this.liveCount--;
    }
  }

  /**
   * The index words a query word stands for, with their weights: itself (1), and the words it starts (prefixWeight x
   * its share of their letters) or is within its allowed edits of (fuzzyWeight / edits), each of those weighed by
   * how often the catalog uses it (frequencyExponent), so the common word a shopper means ranks above a rare word
   * that happens to be one edit away. Only the `MAX_EXPANSIONS` heaviest are kept.
   */
  private expansions(word: string): Map<string, number> {
    const s = this.settings;
    const known = this.terms.has(word);
    const channel = new Map<string, number>();
    if (word.length >= s.prefixFrom) {
      for (const term of this.terms.atPrefix(word).keys()) {
        if (term !== word) channel.set(term, s.prefixWeight * (word.length / term.length));
      }
    }
    if (word.length > s.exactUpTo && !(s.typosInUnknownWordsOnly && known)) {
      const edits = word.length >= s.twoEditsFrom ? 2 : 1;
      for (const [term, [, distance]] of this.terms.fuzzyGet(word, edits)) {
        if (distance === 0) continue;
        const weight = s.fuzzyWeight / (distance === 2 && isSwap(word, term) ? 1 : distance);
        if ((channel.get(term) ?? 0) < weight) channel.set(term, weight);
      }
    }
    // Each word is weighed against the most used word the query word fits at least as well (itself when a catalog
    // word): "dres" -> "tres" (one edit) is weighed against "dress" (one edit too), but "dres" -> "red" (two edits)
    // is not weighed against "dress", and a common two-edit neighbour cannot push down a rarer closer word either.
    const documents = (term: string) => this.terms.get(term)!.rows.length;
    const byFit = [...channel].sort((a, b) => b[1] - a[1]);
    const weighed: [string, number][] = [];
    let mostUsed = known ? documents(word) : 0;
    for (let i = 0; i < byFit.length; ) {
      let j = i;
      while (j < byFit.length && byFit[j][1] === byFit[i][1]) mostUsed = Math.max(mostUsed, documents(byFit[j++][0]));
      for (; i < j; i++) weighed.push([byFit[i][0], byFit[i][1] * (documents(byFit[i][0]) / mostUsed) ** s.frequencyExponent]);
    }
    weighed.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const out = new Map<string, number>(known ? [[word, 1]] : []);
    for (const [term, weight] of weighed.slice(0, MAX_EXPANSIONS)) out.set(term, weight);
    return out;
  }

  /** Every matching product that `accept` keeps, best first (BM25; word starts and typos weighted down; ties by id). */
  search(query: KeywordQuery): Scored[] {
    return this.match(query.text).top({ limit: Infinity, accept: query.accept }).ranked;
  }

  /**
   * The products the words of `text` match (every word when some product has them all, else any), `exclude`d ids
   * left out, with their BM25 scores kept for ranking on demand.
   */
  match(text: string, options: { exclude?: readonly string[] } = {}): KeywordMatches {
    const words = [...new Set(keywordTerms(text))].map((word) => this.scoredExpansions(word));
    if (words.length === 0 || this.liveCount === 0) return NO_MATCHES;
    const excluded = new Set<number>();
    for (const id of options.exclude ?? []) {
      const row = this.rowOf.get(id);
      if (row !== undefined) excluded.add(row);
    }
    // Words the index cannot match at all do not block the others ("nike xyzzy" still finds Nike).
    const searchable = words.filter((w) => w.terms.length > 0);
    if (this.settings.combine === 'and' && searchable.length > 1) {
      const every = this.matchEvery(searchable, excluded);
      if (every) return every;
    }
    return this.matchAny(words, excluded);
  }

  /**
   * The index words a query word stands for (`expansions`), each with its postings and its BM25 factor: weight x
   * idf x (k1 + 1); `postings` counts the rows they list.
   */
  private scoredExpansions(word: string): ScoredWord {
    const lists = [...this.expansions(word)].map(([term, weight]) => ({ postings: this.terms.get(term)!, weight }));
    // One IDF per query word, over the products any of its expansions match: a rare word among them (a typo
    // neighbour, a brand that starts the same) cannot lift its few products above those of the word meant.
    const df = this.documentsOf(word, lists);
    const idf = Math.log(1 + (this.liveCount - df + 0.5) / (df + 0.5));
    let postings = 0;
    const terms = lists.map(({ postings: list, weight }) => {
      postings += list.rows.length;
      return { postings: list, factor: weight * idf * (K1 + 1) };
    });
    return { terms, postings };
  }

  /** Live products listed by any of `lists` (a query word's expansions), remembered per word until the next write. */
  private documentsOf(word: string, lists: readonly { postings: Postings }[]): number {
    if (this.wordDocuments.changes !== this.changes || this.wordDocuments.counts.size > MAX_REMEMBERED_WORDS) {
      this.wordDocuments = { changes: this.changes, counts: new Map() };
    }
    const known = this.wordDocuments.counts.get(word);
    if (known !== undefined) return known;
    const { seen } = this.scratch();
    const marked: number[] = [];
    for (const { postings } of lists) {
      for (const row of postings.rows) {
        if (seen[row] === 0 && this.live[row]) {
          seen[row] = 1;
          marked.push(row);
        }
      }
    }
    for (const row of marked) seen[row] = 0;
    this.wordDocuments.counts.set(word, marked.length);
    return marked.length;
  }

  /**
   * Rows matching any of the words, with their summed scores (a word scores its best matching index word in a row),
   * every posting of every word read once.
   */
  private matchAny(words: ScoredWord[], excluded: ReadonlySet<number>): MatchSet {
    const { total, seen, best, lengthNorm } = this.scratch();
    const live = this.live;
    // Rows some word matched, each once; the scratch arrays are zeroed again through it before returning.
    const union: number[] = [];
    for (const word of words) {
      const touched: number[] = [];
      for (const { postings, factor } of word.terms) {
        const { rows, counts } = postings;
        for (let i = 0; i < rows.length; i++) {
          const row = rows[i];
          if (!live[row]) continue;
          const tf = counts[i];
          const score = (factor * tf) / (tf + lengthNorm[row]);
          if (best[row] === 0) touched.push(row);
          if (score > best[row]) best[row] = score;
        }
      }
      for (const row of touched) {
        if (seen[row] === 0) {
          seen[row] = 1;
          union.push(row);
        }
        total[row] += best[row];
        best[row] = 0;
      }
    }
    // Ascending rows, so that the result does not depend on the words' order.
    const candidates = Int32Array.from(union).sort();
    const rows = new Int32Array(candidates.length);
    let kept = 0;
    for (const row of candidates) if (!excluded.has(row)) rows[kept++] = row;
    const scores = Float64Array.from(rows.subarray(0, kept), (row) => total[row]);
    for (const row of union) {
      total[row] = 0;
      seen[row] = 0;
    }
    return new MatchSet(rows.subarray(0, kept), scores, this.ids, this.rowOf);
  }

  /**
   * Rows matching every word (null when none does): the word with the fewest postings gives the candidates, and
   * each further word is looked up in them by binary search in its postings (sorted by row) when that reads less
   * than its whole lists; the rows `matchAny` gives that match every word, with the same scores.
   */
  private matchEvery(words: ScoredWord[], excluded: ReadonlySet<number>): MatchSet | null {
    const ordered = [...words].sort((a, b) => a.postings - b.postings);
    const first = this.matchAny([ordered[0]], excluded);
    if (first.size === 0) return null;
    let rows = first.rowList;
    let scores = first.scoreList;
    const lengthNorm = this.scratch().lengthNorm;
    for (const word of ordered.slice(1)) {
      if (rows.length * Math.log2(word.postings + 2) * 4 > word.postings) {
        // Reading the word's lists is cheaper: match it over every row, then intersect.
        const other = this.matchAny([word], excluded);
        ({ rows, scores } = intersect(rows, scores, other.rowList, other.scoreList));
      } else {
        const keptRows: number[] = [];
        const keptScores: number[] = [];
        for (let i = 0; i < rows.length; i++) {
          const row = rows[i];
          let best = 0;
          for (const { postings, factor } of word.terms) {
            const at = findRow(postings.rows, row);
            if (at < 0) continue;
            const tf = postings.counts[at];
            const score = (factor * tf) / (tf + lengthNorm[row]);
            if (score > best) best = score;
          }
          if (best > 0) {
            keptRows.push(row);
            keptScores.push(scores[i] + best);
          }
        }
        rows = Int32Array.from(keptRows);
        scores = Float64Array.from(keptScores);
      }
      if (rows.length === 0) return null;
    }
    return new MatchSet(rows, scores, this.ids, this.rowOf);
  }

  /**
   * The per-row arrays `match` accumulates in (zero between calls; `match` is synchronous, so one set serves every
   * query) and the BM25 length norm of every row, recomputed only after the documents changed.
   */
  private scratch(): { total: Float64Array; best: Float64Array; lengthNorm: Float64Array; seen: Uint8Array } {
    const n = this.ids.length;
    if (!this.work || this.work.total.length < n) {
      const size = Math.max(n, Math.ceil((this.work?.total.length ?? 0) * 1.5));
      this.work = { total: new Float64Array(size), best: new Float64Array(size), lengthNorm: new Float64Array(size), seen: new Uint8Array(size), normsOf: -1 };
    }
    const work = this.work;
    if (work.normsOf !== this.changes) {
      const avgLength = this.totalLength / Math.max(1, this.liveCount);
      for (let row = 0; row < n; row++) work.lengthNorm[row] = K1 * (1 - B + (B * this.lengths[row]) / avgLength);
      work.normsOf = this.changes;
    }
    return work;
  }
}

type ScoredWord = { terms: { postings: Postings; factor: number }[]; postings: number };

/** The index of `row` in the ascending `rows`, or -1. */
function findRow(rows: ArrayLike<number>, row: number): number {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid] === row) return mid;
    if (rows[mid] < row) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** The rows two ascending lists share, with their scores added. */
function intersect(a: Int32Array, aScores: Float64Array, b: Int32Array, bScores: Float64Array): { rows: Int32Array; scores: Float64Array } {
  const rows = new Int32Array(Math.min(a.length, b.length));
  const scores = new Float64Array(rows.length);
  let n = 0;
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    if (a[i] === b[j]) {
      rows[n] = a[i];
      scores[n++] = aScores[i++] + bScores[j++];
    } else if (a[i] < b[j]) i++;
    else j++;
  }
  return { rows: rows.subarray(0, n), scores: scores.subarray(0, n) };
}

/** The matches of one query: ascending rows with their BM25 scores. */
class MatchSet implements KeywordMatches {
  constructor(
    private readonly rows: Int32Array,
    private readonly scores: Float64Array,
    private readonly idOf: readonly string[],
    private readonly rowOf: ReadonlyMap<string, number>,
  ) {}

  get size(): number {
    return this.rows.length;
  }

  get rowList(): Int32Array {
    return this.rows;
  }

  get scoreList(): Float64Array {
    return this.scores;
  }

  has(id: string): boolean {
    const row = this.rowOf.get(id);
    return row !== undefined && findRow(this.rows, row) >= 0;
  }

  ids(): string[] {
    return Array.from(this.rows, (row) => this.idOf[row]);
  }

  top({ limit, accept }: { limit: number; accept?: (id: string) => boolean }): { ranked: Scored[]; accepted: number } {
    let kept: number[] = [];
    if (accept) {
      for (let i = 0; i < this.rows.length; i++) if (accept(this.idOf[this.rows[i]])) kept.push(i);
    } else kept = Array.from(this.rows.keys());
    const accepted = kept.length;
    if (kept.length > limit) {
      // The limit-th best score, by one numeric sort of the scores; only what reaches it is sorted by score and id.
      const sorted = Float64Array.from(kept, (i) => this.scores[i]).sort();
      const cut = sorted[kept.length - limit];
      kept = kept.filter((i) => this.scores[i] >= cut);
    }
    const ranked = kept.map((i) => ({ id: this.idOf[this.rows[i]], score: this.scores[i] })).sort(byScoreThenId);
    return { ranked: ranked.length > limit ? ranked.slice(0, limit) : ranked, accepted };
  }
}
