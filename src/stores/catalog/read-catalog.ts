// Catalog readers: CSV, JSONL, or a plain folder of images, all yielding the same entries. A bad row is an
// entry with a reason, not an exception, so one broken line never stops an indexing run.
import { createReadStream, existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { AppError, errorMessage } from '../../errors/app-error.js';
import type { Attributes, Product } from '../../domain/types.js';

export type CatalogEntry = { ok: true; product: Product } | { ok: false; id?: string; row: number; reason: string };

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

/** Turns one parsed row into a product: id, title, image reference, and every other field as an attribute. */
export function rowToEntry(row: Record<string, unknown>, rowNumber: number, baseDir: string, imagesDir?: string): CatalogEntry {
  const idKey = firstKey(row, ID_KEYS);
  if (!idKey) return { ok: false, row: rowNumber, reason: `row ${rowNumber}: no id (expected a column ${ID_KEYS.join(' / ')})` };
  const id = String(row[idKey]).trim();
  if (id.length > 256 || /[\u0000-\u001f/\\]/.test(id)) {
    return { ok: false, id, row: rowNumber, reason: `row ${rowNumber}: id must be at most 256 characters without slashes or control characters` };
  }
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
  return { ok: true, product: { id, title, attributes, imageRef } };
}

async function* readCsv(file: string, imagesDir?: string): AsyncGenerator<CatalogEntry> {
  const parser = createReadStream(file).pipe(parse({ columns: true, skip_empty_lines: true, bom: true, relax_column_count: true, trim: true }));
  let row = 1;
  try {
    for await (const record of parser) {
      row++;
      yield rowToEntry(record as Record<string, unknown>, row, path.dirname(file), imagesDir);
    }
  } catch (e) {
    throw new AppError('CATALOG_ERROR', `${file}: CSV error after row ${row}: ${errorMessage(e)}`, { cause: e });
  }
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
  const seen = new Set<string>();
  for await (const entry of entries) {
    if (entry.ok) {
      if (seen.has(entry.product.id)) {
        yield { ok: false, id: entry.product.id, row: -1, reason: `duplicate id ${entry.product.id}: only the first row is indexed` };
        continue;
      }
      seen.add(entry.product.id);
    }
    yield entry;
  }
}
