// A server's in-memory copy of an index, saved beside the index as one file, so that the next start reads it with
// one file read instead of scanning every record out of the store and building the copy row by row (3-4 s of a
// cold start on the 44k catalog). It is only ever a cache: it is keyed by the store's version and fingerprint and
// used only when both still match, carries a CRC-32 of every byte, and anything that does not fit (another
// version, a short or damaged file, a format this build does not know) means "no copy": the store is read as
// before and the file written again.
//
// Layout (little-endian): "VITRCPY1", u32 header length, header JSON padded with spaces to a multiple of 8 bytes,
// the vectors (count x dim float32), one u32 code column per attribute field (count each), the keyword index when
// saved with one (keywordLayout: padding to 8, row lengths and posting counts as float64, word offsets and posting
// rows as u32, live flags as u8, padding to 4), the strings as JSON (ids, titles, image refs, content hashes, each
// field's values, the keyword index's words and row ids), and a u32 CRC-32 of everything before it.
//
// Example:
//   const file = new CopyFile('/data/memory-copy.bin');
//   await file.write(copy);                                  // atomically: a temp file, then a rename
//   const same = await file.read({ key: copy.key, dim: 256 });  // null unless the key and every byte check out
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { SavedKeywords } from '../keyword-index.js';
import { processAlive } from '../writer-lock.js';
import type { SavedRows } from './memory.vector-index.js';

/** One product's fields the read path keeps beside the index. */
export interface SavedPayload {
  title: string;
  imageRef: string;
  contentHash: string;
}

/** What a copy file holds: the index's rows and each row's payload, at the store state `key` names. */
export interface SavedCopy {
  /** The store's version and fingerprint when the copy was loaded: a copy is used only at exactly this state. */
  key: string;
  dim: number;
  rows: SavedRows;
  /** Row i's payload (same order as rows.ids). */
  payload: { titles: string[]; imageRefs: string[]; contentHashes: string[] };
  /** The keyword index at the same state, when the copy was saved with one (a server builds it before ready). */
  keywords?: SavedKeywords;
}

const MAGIC = Buffer.from('VITRCPY1', 'latin1');
/** 2: with the keyword index. A file of another format is no copy (read past, saved again). */
const FORMAT = 2;

/** The keyword index's scalars and section sizes; its words and ids are among the strings. */
interface KeywordHeader {
  format: number;
  settings: SavedKeywords['settings'];
  fields: string[];
  totalLength: number;
  liveCount: number;
  /** Rows (removed ones included), words, postings. */
  rows: number;
  terms: number;
  postings: number;
}

interface Header {
  format: number;
  key: string;
  dim: number;
  count: number;
  fields: string[];
  stringsBytes: number;
  keywords: KeywordHeader | null;
}

interface Strings {
  ids: string[];
  titles: string[];
  imageRefs: string[];
  contentHashes: string[];
  values: string[][];
  /** null: the same as `ids` (no removed rows, same order), the usual case. */
  keywordIds?: string[] | null;
  keywordTerms?: string[];
}

const align = (n: number, to: number) => Math.ceil(n / to) * to;

/** Byte offsets of the keyword arrays from `start` (the end of the code columns), and where the section ends. */
function keywordLayout(start: number, k: { rows: number; terms: number; postings: number }) {
  const lengths = align(start, 8);
  const counts = lengths + k.rows * 8;
  const offsets = counts + k.postings * 8;
  const rows = offsets + (k.terms + 1) * 4;
  const live = rows + k.postings * 4;
  return { lengths, counts, offsets, rows, live, end: align(live + k.rows, 4) };
}

export function encodeCopy(copy: SavedCopy): Buffer {
  const { rows, dim } = copy;
  const count = rows.ids.length;
  const strings: Strings = {
    ids: rows.ids,
    titles: copy.payload.titles,
    imageRefs: copy.payload.imageRefs,
    contentHashes: copy.payload.contentHashes,
    values: rows.columns.map((c) => c.values),
  };
  const kw = copy.keywords;
  let keywords: KeywordHeader | null = null;
  if (kw) {
    const sameIds = kw.ids.length === count && kw.ids.every((id, i) => id === rows.ids[i]);
    strings.keywordIds = sameIds ? null : kw.ids;
    strings.keywordTerms = kw.terms;
    const { format, settings, fields, totalLength, liveCount } = kw;
    keywords = { format, settings, fields, totalLength, liveCount, rows: kw.ids.length, terms: kw.terms.length, postings: kw.rows.length };
  }
  const stringBytes = Buffer.from(JSON.stringify(strings), 'utf8');
  const header: Header = { format: FORMAT, key: copy.key, dim, count, fields: rows.columns.map((c) => c.field), stringsBytes: stringBytes.length, keywords };
  let headerText = JSON.stringify(header);
  // The body starts 8-aligned so that the vectors can be read as a Float32Array view of the file's bytes.
  const headerBytes = Buffer.byteLength(headerText, 'utf8');
  headerText += ' '.repeat((8 - ((MAGIC.length + 4 + headerBytes) % 8)) % 8);
  const head = Buffer.alloc(MAGIC.length + 4);
  MAGIC.copy(head);
  head.writeUInt32LE(Buffer.byteLength(headerText, 'utf8'), MAGIC.length);
  const parts: Buffer[] = [head, Buffer.from(headerText, 'utf8'), Buffer.from(rows.vectors.buffer, rows.vectors.byteOffset, count * dim * 4)];
  for (const c of rows.columns) parts.push(Buffer.from(c.codes.buffer, c.codes.byteOffset, count * 4));
  if (kw && keywords) {
    const start = rows.columns.length * count * 4;
    const at = keywordLayout(start, keywords);
    const section = Buffer.alloc(at.end - start);
    const put = (array: ArrayBufferView, offset: number) => section.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), offset - start);
    put(kw.lengths, at.lengths);
    put(kw.counts, at.counts);
    put(kw.offsets, at.offsets);
    put(kw.rows, at.rows);
    put(kw.live, at.live);
    parts.push(section);
  }
  parts.push(stringBytes);
  let crc = 0;
  for (const part of parts) crc = crc32(part, crc);
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32LE(crc);
  return Buffer.concat([...parts, trailer]);
}

/** Fills `into` from the file at `position`; false when the file ends first. */
async function readFully(handle: FileHandle, into: Uint8Array, position: number): Promise<boolean> {
  for (let done = 0; done < into.length; ) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) return false;
    done += bytesRead;
  }
  return true;
}

/** A header that fits this build and the expected key, with its section sizes; null otherwise. */
function checkedHeader(text: string, expected: { key: string; dim: number }): Header | null {
  let header: Header;
  try {
    header = JSON.parse(text) as Header;
  } catch {
    return null;
  }
  if (header?.format !== FORMAT || header.key !== expected.key || header.dim !== expected.dim) return null;
  const { count, fields, stringsBytes, keywords } = header;
  if (!Number.isInteger(count) || count < 0 || !Array.isArray(fields) || !Number.isInteger(stringsBytes) || stringsBytes < 0) return null;
  const size = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
  if (keywords !== null && !(typeof keywords === 'object' && size(keywords.rows) && size(keywords.terms) && size(keywords.postings) && Array.isArray(keywords.fields))) return null;
  return header;
}

export class CopyFile {
  constructor(readonly path: string) {}

  /** Temp files of writers that ended before their rename (a server stopped while saving): their process is gone. */
  private async removeLeftovers(): Promise<void> {
    const prefix = `${path.basename(this.path)}.tmp-`;
    const names = await readdir(path.dirname(this.path)).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.startsWith(prefix)) continue;
      const pid = Number(name.slice(prefix.length).split('-')[0]);
      if (pid === process.pid || (Number.isInteger(pid) && pid > 0 && processAlive(pid))) continue;
      await rm(path.join(path.dirname(this.path), name), { force: true });
    }
  }

  /**
   * The saved copy when there is one for exactly this key and every byte checks out; null otherwise (never a throw).
   * The vectors are read straight into a buffer with room for `spareRows(count)` more rows (about 10 ms per MB of fresh
   * memory on our VMs: reading the file whole and copying the vectors out would double it); an index built from the
   * copy (MemoryVectorIndex.fromSaved) takes that buffer over as its matrix.
   */
  async read(expected: { key: string; dim: number; spareRows?: (rows: number) => number }): Promise<SavedCopy | null> {
    let handle: FileHandle;
    try {
      handle = await open(this.path, 'r');
    } catch {
      return null;
    }
    try {
      return await this.readFrom(handle, expected);
    } catch {
      return null;
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  private async readFrom(handle: FileHandle, expected: { key: string; dim: number; spareRows?: (rows: number) => number }): Promise<SavedCopy | null> {
    const size = (await handle.stat()).size;
    const head = Buffer.alloc(MAGIC.length + 4);
    if (size < head.length + 4 || !(await readFully(handle, head, 0)) || !head.subarray(0, MAGIC.length).equals(MAGIC)) return null;
    const headerBytes = Buffer.alloc(head.readUInt32LE(MAGIC.length));
    const bodyStart = head.length + headerBytes.length;
    if (bodyStart + 4 > size || bodyStart % 8 !== 0 || !(await readFully(handle, headerBytes, head.length))) return null;
    // The key first: a copy of another store state is not read any further.
    const header = checkedHeader(headerBytes.toString('utf8'), expected);
    if (!header) return null;
    const { count, dim, fields, stringsBytes, keywords } = header;
    const vectorBytes = count * dim * 4;
    const codesBytes = fields.length * count * 4;
    const at = keywords ? keywordLayout(codesBytes, keywords) : null;
    const restBytes = (at?.end ?? codesBytes) + stringsBytes + 4;
    if (bodyStart + vectorBytes + restBytes !== size) return null;
    const matrix = new ArrayBuffer((count + Math.max(0, expected.spareRows?.(count) ?? 0)) * dim * 4);
    const vectors = new Uint8Array(matrix, 0, vectorBytes);
    const rest = Buffer.from(new ArrayBuffer(restBytes));
    if (!(await readFully(handle, vectors, bodyStart)) || !(await readFully(handle, rest, bodyStart + vectorBytes))) return null;
    let crc = crc32(head);
    crc = crc32(headerBytes, crc);
    crc = crc32(vectors, crc);
    crc = crc32(rest.subarray(0, restBytes - 4), crc);
    if (crc !== rest.readUInt32LE(restBytes - 4)) return null;
    let strings: Strings;
    try {
      strings = JSON.parse(rest.toString('utf8', restBytes - 4 - stringsBytes, restBytes - 4)) as Strings;
    } catch {
      return null;
    }
    const lists = [strings.ids, strings.titles, strings.imageRefs, strings.contentHashes];
    if (!lists.every((l) => Array.isArray(l) && l.length === count) || !Array.isArray(strings.values) || strings.values.length !== fields.length) return null;
    // The codes start at offset 0 of a buffer of their own: 4-aligned.
    const columns = fields.map((field, i) => ({ field, values: strings.values[i], codes: new Uint32Array(rest.buffer, rest.byteOffset + i * count * 4, count) }));
    let saved: SavedKeywords | undefined;
    if (keywords && at) {
      const kwIds = strings.keywordIds ?? strings.ids;
      const terms = strings.keywordTerms;
      if (!Array.isArray(kwIds) || kwIds.length !== keywords.rows || !Array.isArray(terms) || terms.length !== keywords.terms) return null;
      const view = <T>(Type: new (b: ArrayBufferLike, o: number, n: number) => T, offset: number, n: number) => new Type(rest.buffer, rest.byteOffset + offset, n);
      saved = {
        format: keywords.format,
        settings: keywords.settings,
        fields: keywords.fields,
        ids: kwIds,
        live: view(Uint8Array, at.live, keywords.rows),
        lengths: view(Float64Array, at.lengths, keywords.rows),
        totalLength: keywords.totalLength,
        liveCount: keywords.liveCount,
        terms,
        offsets: view(Uint32Array, at.offsets, keywords.terms + 1),
        rows: view(Uint32Array, at.rows, keywords.postings),
        counts: view(Float64Array, at.counts, keywords.postings),
      };
    }
    return {
      key: header.key,
      dim,
      rows: { ids: strings.ids, vectors: new Float32Array(matrix, 0, count * dim), columns },
      payload: { titles: strings.titles, imageRefs: strings.imageRefs, contentHashes: strings.contentHashes },
      ...(saved ? { keywords: saved } : {}),
    };
  }

  /** Writes the copy atomically (a temp file renamed over the old one): a reader sees the old file or the new. */
  async write(copy: SavedCopy): Promise<void> {
    await this.removeLeftovers();
    const tmp = `${this.path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await writeFile(tmp, encodeCopy(copy));
      await rename(tmp, this.path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
}
