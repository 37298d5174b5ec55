// The ImageStore port: where product photos live once indexed, so stateless Vitrine replicas (and browsers) can
// reach them without the indexing machine's disk. put() returns the URL (or local path) to record as the
// product's imageRef; search results then carry it.
//
// Adapters: fs.image-store.ts, gcs.image-store.ts, s3.image-store.ts; open-image-store.ts picks one by URL.
import { AppError } from '../../errors/app-error.js';

export interface StoredImage {
  bytes: Buffer;
  contentType: string;
}

export interface ImageStore {
  /** Stores the photo under the product id (replacing any earlier one); returns its URL or local path. */
  put(id: string, bytes: Uint8Array, contentType: string): Promise<string>;
  get(id: string): Promise<StoredImage | null>;
  exists(id: string): Promise<boolean>;
  /** Where put() would place the id, without writing (e.g. to skip uploads already done). */
  urlFor(id: string): string;
}

export const IMAGE_STORE_URL_FORMS = 'a folder (file:./images or ./images), gs://bucket[/prefix], s3://bucket[/prefix]';

/**
 * An object key for a product id: the id's safe characters kept, everything else percent-encoded, so ids with
 * slashes, spaces or non-ASCII letters map to one flat, reversible key.
 */
export function objectKey(id: string): string {
  if (id.length === 0) throw new AppError('BAD_REQUEST', 'an image needs a non-empty product id');
  const key = id.replace(/[^A-Za-z0-9_-]/g, (c) => (c === '.' ? '.' : encodeURIComponent(c).replace(/[!'()*]/g, (x) => `%${x.charCodeAt(0).toString(16).toUpperCase()}`)));
  return key === '.' || key === '..' ? key.replace(/\./g, '%2E') : key;
}

/** The content type from the first bytes of JPEG, PNG, WebP and GIF files; octet-stream otherwise. */
export function sniffContentType(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'image/png';
  if (Buffer.from(bytes.subarray(0, 4)).toString('latin1') === 'RIFF' && Buffer.from(bytes.subarray(8, 12)).toString('latin1') === 'WEBP') return 'image/webp';
  if (Buffer.from(bytes.subarray(0, 4)).toString('latin1') === 'GIF8') return 'image/gif';
  return 'application/octet-stream';
}

/** Joins a bucket prefix from a URL path ("/catalog/" or "") and a key. */
export function prefixed(prefix: string, key: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return p ? `${p}/${key}` : key;
}
