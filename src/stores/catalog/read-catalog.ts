// Catalog readers: CSV, JSONL, or a plain folder of images, all yielding the same entries. A bad row is an
// entry with a reason, not an exception, so one broken line never stops an indexing run.
import { createReadStream, existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parse, type Options } from 'csv-parse';
import { AppError, errorMessage } from '../../errors/app-error.js';
import type { Attributes, Product } from '../../domain/types.js';

/** A catalog row read into a product, or a row that could not be; `row` is its file line (JSONL, CSV) or position. */
export type CatalogEntry = { ok: true; product: Product; row?: number } | { ok: false; id?: string; row: number; reason: string };

export interface ReadCatalogOptions {
  /** A .csv or .jsonl file, or a folder of images. */
  source: string;
  /** Folder holding `<id>.jpg` photos when the catalog has no image column. */
  images?: string;
}

const ID_KEYS = ['id', 'product_id', 'productId', 'sku'];
const TITLE_KEYS = ['title', 'name', 'productDisplayName', 'product_name'];
const IMAGE_KEYS = ['image', 'image_path', 'imagePath', 'image_url', 'imageUrl', 'path', 'file', 'filename'];
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.avif', '.tif', '.tiff'];

function firstKey(row: Record<string, unknown>, keys: string[]): string | undefined {
  return keys.find((k) => row[k] !== undefined && row[k] !== null && String(row[k]).trim() !== '');
}

function isUrl(ref: string): boolean {
  return /^https?:\/\//i.test(ref);
}

function guessImage(imagesDir: string, id: string): string {
  for (const ext of IMAGE_EXTENSIONS) {
    const candidate = path.join(imagesDir, `${id}${ext}`);
    if (existsSync(candidate)) return candidate;
  }
  return path.join(imagesDir, `${id}.jpg`);
}

/** Why a product id is refused (catalogs and the write API alike), or null when it is fine. */
export function productIdProblem(id: string): string | null {
  if (id.length === 0) return 'id must not be empty';
  if (id.length > 256 || /[\u0000-\u001f/\\]/.test(id)) return 'id must be at most 256 characters without slashes or control characters';
  return null;
}

/** Turns one parsed row into a product: id, title, image reference, and every other field as an attribute. */
export function rowToEntry(row: Record<string, unknown>, rowNumber: number, baseDir: string, imagesDir?: string): CatalogEntry {
  const idKey = firstKey(row, ID_KEYS);
  if (!idKey) return { ok: false, row: rowNumber, reason: `row ${rowNumber}: no id (expected a column ${ID_KEYS.join(' / ')})` };
  const id = String(row[idKey]).trim();
  const problem = productIdProblem(id);
  if (problem) return { ok: false, id, row: rowNumber, reason: `row ${rowNumber}: ${problem}` };
  const titleKey = firstKey(row, TITLE_KEYS);
  const imageKey = firstKey(row, IMAGE_KEYS);
  let imageRef: string;
  if (imageKey) {
    const ref = String(row[imageKey]).trim();
    imageRef = isUrl(ref) || path.isAbsolute(ref) ? ref : path.resolve(imagesDir ?? baseDir, ref);
  } else if (imagesDir) {
    imageRef = guessImage(imagesDir, id);
  } else {
    return { ok: false, id, row: rowNumber, reason: `row ${rowNumber}: no image column (${IMAGE_KEYS.join(' / ')}) and no --images folder` };
  }
  const attributes: Attributes = {};
  const skip = new Set([idKey, titleKey, imageKey]);
  for (const [key, value] of Object.entries(row)) {
    if (skip.has(key) || value === undefined || value === null) continue;
    if (key === 'attributes' && typeof value === 'object') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v !== null && v !== undefined && String(v).trim() !== '') attributes[k] = String(v).trim();
      }
      continue;
    }
    const text = typeof value === 'object' ? JSON.stringify(value) : String(value).trim();
    if (text !== '') attributes[key] = text;
  }
  const title = titleKey ? String(row[titleKey]).trim() : id;
  return { ok: true, product: { id, title, attributes, imageRef }, row: rowNumber };
}

/**
 * The byte offset where 1-based `line` of a file begins (the file length when it has fewer lines), counted on from
 * a known line start so that reading on after several broken rows stays linear in the file size.
 */
async function byteOffsetOfLine(file: string, line: number, from = { line: 1, offset: 0 }): Promise<number> {
  let seen = from.line;
  let offset = from.offset;
  if (seen === line) return offset;
  for await (const chunk of createReadStream(file, { start: from.offset }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1 && seen < line; i = chunk.indexOf(10, i + 1)) {
      seen++;
      if (seen === line) return offset + i + 1;
    }
    offset += chunk.length;
  }
  return offset;
}

const newlinesIn = (text: string) => (text.match(/\n/g) ?? []).length;

/**
 * A record's raw text split into the empty lines the parser skipped before it (counted as lines) and the record
 * itself without its closing line break, whose inner line breaks say how many lines it spans.
 */
function rawParts(raw: string): { blankLines: number; body: string } {
  const blank = /^[\r\n]*/.exec(raw)![0];
  return { blankLines: newlinesIn(blank), body: raw.slice(blank.length).replace(/\r?\n$/, '') };
}

/**
 * Whether a record that spans lines is really an unclosed quote that ran on into later rows (up to a quote that
 * seemed to close it): it has the wrong number of fields, or one of its continuation lines is a row of its own
 * (as many plain fields as the header, no quote). A genuine multi-line field ("Machine wash\ncold") passes.
 */
function spansRows(body: string, context: { error?: { code?: string } }, columns: number): boolean {
  if (context.error?.code === 'CSV_RECORD_INCONSISTENT_COLUMNS') return true;
  return body
    .split('\n')
    .slice(1)
    .some((line) => !line.includes('"') && line.split(',').length === columns);
}

/** One parsed CSV record or one the parser had to skip, in file order, with the file line where it starts. */
type CsvEvent = { kind: 'record'; record: Record<string, unknown>; line: number } | { kind: 'skip'; line: number; code: string; raw: string };

/**
 * Reads a CSV catalog; every row is an entry, whatever its quotes. A stray quote inside a field (`32" waist`) is
 * kept as text (relax_quotes). A row the parser cannot read is a failed entry naming its own file line, and reading
 * starts again on the line after it (a quote that never closes would otherwise swallow the rest of the file). Row
 * numbers are file lines (the header is row 1), also for rows that span several lines. Values are trimmed by
 * rowToEntry, not by the parser, whose trimming refuses text after a closing quote (`"32" slim`).
 */
async function* readCsv(file: string, imagesDir?: string): AsyncGenerator<CatalogEntry> {
  let header: string[] | undefined;
  let fromLine = 1;
  let offset = 0;
  for (;;) {
    const events: CsvEvent[] = [];
    /** The file line of the last line a record ended on. */
    let lastEnd = fromLine - 1;
    let restartAt: number | null = null;
    /** An unreadable row: a failed entry on its own line; what the parser makes of the lines after it is not to be trusted, so they are read again. */
    const skip = (code: string, raw: string) => {
      if (restartAt !== null) return;
      const { blankLines, body } = rawParts(raw);
      const line = lastEnd + 1 + blankLines;
      events.push({ kind: 'skip', line, code, raw: body });
      restartAt = line + 1;
    };
    const options: Options = {
      columns: header ?? ((names: string[]) => (header = names.map((n) => n.trim()))),
      bom: fromLine === 1,
      skip_empty_lines: true,
      relax_quotes: true,
      relax_column_count: true,
      raw: true,
      skip_records_with_error: true,
      // context.lines: the line (counted from where this parse began) that the record ends on.
      on_record: (({ record, raw }: { record: Record<string, unknown>; raw: string }, context: { lines: number; error?: { code?: string } }) => {
        if (restartAt !== null) return null;
        const { body } = rawParts(raw);
        if (newlinesIn(body) > 0 && spansRows(body, context, header?.length ?? 0)) {
          skip('CSV_QUOTE_NOT_CLOSED', raw);
          return null;
        }
        const end = fromLine - 1 + context.lines;
        events.push({ kind: 'record', record, line: end - newlinesIn(body) });
        lastEnd = end;
        return record;
      }) as unknown as Options['on_record'],
      on_skip: (error, raw) => void skip(error?.code ?? 'CSV_ERROR', raw ?? ''),
    };
    const parser = createReadStream(file, { start: offset }).pipe(parse(options));
    try {
      for await (const _ of parser) {
        for (const event of events.splice(0)) yield csvEntry(event, file, imagesDir);
        if (restartAt !== null) break;
      }
    } catch (e) {
      throw new AppError('CATALOG_ERROR', `${file}: CSV error after row ${lastEnd}: ${errorMessage(e)}`, { cause: e });
    }
    for (const event of events.splice(0)) yield csvEntry(event, file, imagesDir);
    const next: number | null = restartAt;
    if (next === null) return;
    if (!header) throw new AppError('CATALOG_ERROR', `${file}: the header row cannot be read`);
    offset = await byteOffsetOfLine(file, next, { line: fromLine, offset });
    fromLine = next;
  }
}

function csvEntry(event: CsvEvent, file: string, imagesDir?: string): CatalogEntry {
  if (event.kind === 'record') return rowToEntry(event.record, event.line, path.dirname(file), imagesDir);
  const start = event.raw.split('\n')[0].slice(0, 60);
  const why = event.code === 'CSV_QUOTE_NOT_CLOSED' ? 'a quoted field is never closed' : `unreadable quotes (${event.code})`;
  return {
    ok: false,
    id: /^\s*"?([^",]*)/.exec(start)?.[1] || undefined,
    row: event.line,
    reason: `row ${event.line}: ${why}: ${JSON.stringify(start)}; double the quotes inside a quoted field ("32"" waist") or leave the field unquoted`,
  };
}

async function* readJsonl(file: string, imagesDir?: string): AsyncGenerator<CatalogEntry> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let row = 0;
  for await (const line of lines) {
    row++;
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      yield { ok: false, row, reason: `line ${row}: not valid JSON` };
      continue;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      yield { ok: false, row, reason: `line ${row}: expected a JSON object` };
      continue;
    }
    yield rowToEntry(parsed as Record<string, unknown>, row, path.dirname(file), imagesDir);
  }
}

async function* readFolder(dir: string): AsyncGenerator<CatalogEntry> {
  const names = (await readdir(dir)).filter((n) => IMAGE_EXTENSIONS.includes(path.extname(n).toLowerCase())).sort();
  let row = 0;
  for (const name of names) {
    row++;
    const stem = path.basename(name, path.extname(name));
    yield { ok: true, product: { id: stem, title: stem.replace(/[_-]+/g, ' '), attributes: {}, imageRef: path.join(dir, name) } };
  }
}

/** Reads a catalog; duplicate ids after the first are reported as failed entries. */
export async function* readCatalog(options: ReadCatalogOptions): AsyncGenerator<CatalogEntry> {
  const source = path.resolve(options.source);
  let info;
  try {
    info = await stat(source);
  } catch {
    throw new AppError('CATALOG_ERROR', `catalog ${options.source} does not exist`);
  }
  const imagesDir = options.images ? path.resolve(options.images) : undefined;
  if (imagesDir && !existsSync(imagesDir)) throw new AppError('CATALOG_ERROR', `images folder ${options.images} does not exist`);
  let entries: AsyncGenerator<CatalogEntry>;
  if (info.isDirectory()) entries = readFolder(source);
  else if (/\.csv$/i.test(source)) entries = readCsv(source, imagesDir);
  else if (/\.(jsonl|ndjson)$/i.test(source)) entries = readJsonl(source, imagesDir);
  else throw new AppError('CATALOG_ERROR', `catalog ${options.source}: expected a .csv or .jsonl file or a folder of images`);
  const seen = new Map<string, number>();
  let row = 0;
  for await (const entry of entries) {
    row = entry.row ?? row + 1;
    if (entry.ok) {
      const first = seen.get(entry.product.id);
      if (first !== undefined) {
        yield { ok: false, id: entry.product.id, row, reason: `duplicate id ${entry.product.id}${first > 0 ? ` (first in row ${first})` : ''}: only the first row is indexed` };
        continue;
      }
      seen.set(entry.product.id, row);
    }
    yield entry;
  }
}
