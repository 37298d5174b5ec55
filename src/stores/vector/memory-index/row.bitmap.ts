// Row sets as bitmaps (one bit per row in Uint32 words): the in-memory index filters, counts and facets with
// word-wide AND / OR and population counts instead of a pass over product records.

export type Bitmap = Uint32Array;

export const wordsFor = (rows: number) => Math.ceil(rows / 32);

export function newBitmap(rows: number): Bitmap {
  return new Uint32Array(wordsFor(rows));
}

export function setBit(bm: Bitmap, row: number): void {
  bm[row >>> 5] |= 1 << (row & 31);
}

export function clearBit(bm: Bitmap, row: number): void {
  bm[row >>> 5] &= ~(1 << (row & 31));
}

export function hasBit(bm: Bitmap, row: number): boolean {
  return (bm[row >>> 5] & (1 << (row & 31))) !== 0;
}

/** A copy grown (zero-filled) to hold `rows` rows. */
export function grown(bm: Bitmap, rows: number): Bitmap {
  const out = newBitmap(rows);
  out.set(bm.subarray(0, Math.min(bm.length, out.length)));
  return out;
}

function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

export function cardinality(bm: Bitmap): number {
  let n = 0;
  for (let w = 0; w < bm.length; w++) if (bm[w] !== 0) n += popcount32(bm[w]);
  return n;
}

/** target &= other, in place. */
export function andInto(target: Bitmap, other: Bitmap): void {
  for (let w = 0; w < target.length; w++) target[w] &= other[w] ?? 0;
}

/** target |= other, in place. */
export function orInto(target: Bitmap, other: Bitmap): void {
  const n = Math.min(target.length, other.length);
  for (let w = 0; w < n; w++) target[w] |= other[w];
}

/** Calls `fn` for every set row, in ascending order. */
export function forEachRow(bm: Bitmap, fn: (row: number) => void): void {
  for (let w = 0; w < bm.length; w++) {
    let x = bm[w];
    while (x !== 0) {
      const low = x & -x;
      fn((w << 5) | (31 - Math.clz32(low)));
      x ^= low;
    }
  }
}

/** The set rows, ascending. */
export function rowsOf(bm: Bitmap, count = cardinality(bm)): Int32Array {
  const out = new Int32Array(count);
  let i = 0;
  forEachRow(bm, (row) => (out[i++] = row));
  return out;
}
