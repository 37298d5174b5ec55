// Attribute fields as dictionary-encoded columns (one small integer per row and field), with a bitmap per value:
// filters become OR of value bitmaps within a field and AND across fields, and counts and disjunctive facet counts
// (each field ignoring its own filter, as domain/filters.ts countFacets defines them) come from the same columns
// without reading a single product record.
//
// A value's bitmap is kept only while the value holds at least one row in 32 (a bitmap then costs no more than a
// list of its rows); rarer values are found by one pass over the column, so a field with a value per product
// (a SKU, a URL) costs memory in proportion to the rows, never rows x values.
import type { NormalizedFilters } from '../../../domain/filters.js';
import type { Attributes, Facets } from '../../../domain/types.js';
import { andInto, clearBit, forEachRow, grown, newBitmap, orInto, setBit, type Bitmap } from './row.bitmap.js';

interface Column {
  /** code - 1 -> value; code 0 means "no value". */
  values: string[];
  codeOf: Map<string, number>;
  /** One code per row. */
  codes: Uint32Array;
  /** Rows per code (index 0 unused). */
  counts: number[];
  /** code -> bitmap of its rows, for values common enough to keep one. */
  bitmaps: Map<number, Bitmap>;
}

/** A column as a saved copy holds it (memory-index/copy-file.ts): its values (code - 1 -> value), one code per row. */
export interface SavedColumn {
  field: string;
  values: string[];
  /** 0: no value. */
  codes: Uint32Array;
}

export class AttributeColumns {
  private readonly columns = new Map<string, Column>();
  private capacity: number;

  constructor(capacity = 1024) {
    this.capacity = capacity;
  }

  get fields(): string[] {
    return [...this.columns.keys()];
  }

  /** Grows every column to hold `capacity` rows. */
  reserve(capacity: number): void {
    if (capacity <= this.capacity) return;
    this.capacity = capacity;
    for (const c of this.columns.values()) {
      const codes = new Uint32Array(capacity);
      codes.set(c.codes);
      c.codes = codes;
      for (const [code, bm] of c.bitmaps) c.bitmaps.set(code, grown(bm, capacity));
    }
  }

  private column(field: string): Column {
    let c = this.columns.get(field);
    if (!c) {
      c = { values: [], codeOf: new Map(), codes: new Uint32Array(this.capacity), counts: [0], bitmaps: new Map() };
      this.columns.set(field, c);
    }
    return c;
  }

  private assign(c: Column, row: number, code: number): void {
    const old = c.codes[row];
    if (old === code) return;
    if (old !== 0) {
      c.counts[old]--;
      const bm = c.bitmaps.get(old);
      if (bm) clearBit(bm, row);
    }
    c.codes[row] = code;
    if (code !== 0) {
      c.counts[code]++;
      const bm = c.bitmaps.get(code);
      if (bm) setBit(bm, row);
    }
  }

  /** Sets a row's attributes (fields it lacks become "no value"). */
  set(row: number, attributes: Attributes): void {
    for (const [field, value] of Object.entries(attributes)) {
      if (value === undefined) continue;
      const c = this.column(field);
      let code = c.codeOf.get(value);
      if (code === undefined) {
        c.values.push(value);
        code = c.values.length;
        c.codeOf.set(value, code);
        c.counts.push(0);
      }
      this.assign(c, row, code);
    }
    for (const [field, c] of this.columns) if (attributes[field] === undefined) this.assign(c, row, 0);
  }

  clear(row: number): void {
    for (const c of this.columns.values()) this.assign(c, row, 0);
  }

  /** Every column over the listed rows, in that order (a saved copy's columns, rows compacted). */
  saved(rows: Int32Array): SavedColumn[] {
    return [...this.columns].map(([field, c]) => {
      const codes = new Uint32Array(rows.length);
      for (let i = 0; i < rows.length; i++) codes[i] = c.codes[rows[i]];
      return { field, values: c.values.slice(), codes };
    });
  }

  /**
   * Takes saved columns for rows 0..rows-1 at once (a saved copy's), replacing every column held: no per-row work
   * beyond one count per code. Throws on a code outside a column's values.
   */
  restore(saved: readonly SavedColumn[], rows: number): void {
    this.reserve(rows);
    this.columns.clear();
    for (const s of saved) {
      if (s.codes.length < rows) throw new RangeError(`column ${s.field} holds ${s.codes.length} rows, not ${rows}`);
      const codes = new Uint32Array(this.capacity);
      codes.set(s.codes.subarray(0, rows));
      const counts = new Array<number>(s.values.length + 1).fill(0);
      for (let r = 0; r < rows; r++) {
        const code = codes[r];
        if (code > s.values.length) throw new RangeError(`column ${s.field} has code ${code} for ${s.values.length} values`);
        counts[code]++;
      }
      counts[0] = 0;
      this.columns.set(s.field, { values: s.values.slice(), codeOf: new Map(s.values.map((v, i) => [v, i + 1])), codes, counts, bitmaps: new Map() });
    }
  }

  /** The row's attributes as stored (for tests and lookups). */
  get(row: number): Attributes {
    const out: Attributes = {};
    for (const [field, c] of this.columns) if (c.codes[row] !== 0) out[field] = c.values[c.codes[row] - 1];
    return out;
  }

  /** A reader of many rows' attributes (the columns looked up once, not per row); the same objects as get(). */
  rowReader(): (row: number) => Attributes {
    const columns = [...this.columns].map(([field, c]) => ({ field, values: c.values, codes: c.codes }));
    return (row) => {
      const out: Attributes = {};
      for (const c of columns) {
        const code = c.codes[row];
        if (code !== 0) out[c.field] = c.values[code - 1];
      }
      return out;
    };
  }

  /** Rows holding one of `values` in `field`, as a bitmap over `rows` rows. */
  private fieldMask(field: string, values: readonly string[], rows: number): Bitmap {
    const mask = newBitmap(rows);
    const c = this.columns.get(field);
    if (!c) return mask;
    const codes = values.map((v) => c.codeOf.get(v)).filter((code): code is number => code !== undefined && c.counts[code] > 0);
    const scan: number[] = [];
    for (const code of codes) {
      let bm = c.bitmaps.get(code);
      if (!bm && c.counts[code] * 32 >= rows) {
        bm = newBitmap(this.capacity);
        for (let r = 0; r < rows; r++) if (c.codes[r] === code) setBit(bm, r);
        c.bitmaps.set(code, bm);
      }
      if (bm) orInto(mask, bm);
      else scan.push(code);
    }
    if (scan.length > 0) {
      const wanted = new Uint8Array(c.values.length + 1);
      for (const code of scan) wanted[code] = 1;
      for (let r = 0; r < rows; r++) if (wanted[c.codes[r]] === 1) setBit(mask, r);
    }
    return mask;
  }

  /**
   * Rows of `base` (live rows, or the query's candidates) matching every filter except `skipField`'s: a fresh
   * bitmap over `rows` rows.
   */
  mask(filters: NormalizedFilters, base: Bitmap, rows: number, skipField?: string): Bitmap {
    const mask = newBitmap(rows);
    mask.set(base.subarray(0, mask.length));
    for (const [field, values] of filters) {
      if (field === skipField) continue;
      andInto(mask, this.fieldMask(field, values, rows));
    }
    return mask;
  }

  /**
   * Disjunctive facet counts over the rows of `base`: each field counts the rows matching every filter but its
   * own. Values sorted by count desc, then name (as countFacets sorts them); values with no row are left out.
   */
  facets(fields: readonly string[], filters: NormalizedFilters, base: Bitmap, rows: number): Facets {
    const counts = new Map<string, Int32Array>();
    const allFilters = this.mask(filters, base, rows);
    // Fields without a filter of their own share one mask: count them together in one pass over its rows.
    const shared = fields.filter((f) => !filters.has(f) && this.columns.has(f)).map((f) => this.columns.get(f)!);
    if (shared.length > 0) {
      const tallies = shared.map((c) => new Int32Array(c.values.length + 1));
      forEachRow(allFilters, (row) => {
        for (let i = 0; i < shared.length; i++) tallies[i][shared[i].codes[row]]++;
      });
      fields.filter((f) => !filters.has(f) && this.columns.has(f)).forEach((f, i) => counts.set(f, tallies[i]));
    }
    for (const field of fields) {
      const c = this.columns.get(field);
      if (!c || !filters.has(field)) continue;
      const tally = new Int32Array(c.values.length + 1);
      forEachRow(this.mask(filters, base, rows, field), (row) => tally[c.codes[row]]++);
      counts.set(field, tally);
    }
    const facets: Facets = {};
    for (const field of fields) {
      const c = this.columns.get(field);
      const tally = counts.get(field);
      const list: { value: string; count: number }[] = [];
      if (c && tally) for (let code = 1; code < tally.length; code++) if (tally[code] > 0) list.push({ value: c.values[code - 1], count: tally[code] });
      facets[field] = list.sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
    }
    return facets;
  }
}

