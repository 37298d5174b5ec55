// A local stand-in for the Google Cloud Storage JSON API: just the calls GcsImageStore makes through
// @google-cloud/storage (multipart upload, object metadata, media download), in memory.
import { createHash } from 'node:crypto';
import { CRC32C } from '@google-cloud/storage';
import { HttpError, startStandIn, type StandIn, type StandInRequest, type StandInResponse } from './http-stand-in.js';

interface StoredObject {
  bytes: Buffer;
  contentType: string;
  cacheControl?: string;
  generation: number;
}

function crc32c(bytes: Buffer): string {
  const c = new CRC32C();
  c.update(bytes);
  return c.toString();
}

/** Splits a multipart/related body into its parts (headers + bytes). */
function multipartParts(body: Buffer, contentType: string): { headers: string; bytes: Buffer }[] {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) throw new HttpError(400, 'stand-in: multipart upload without a boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { headers: string; bytes: Buffer }[] = [];
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next < 0) break;
    const part = body.subarray(start + delimiter.length, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd >= 0) {
      // Each part is framed by CRLF after the delimiter and CRLF before the next one.
      parts.push({ headers: part.subarray(0, headerEnd).toString('utf8'), bytes: part.subarray(headerEnd + 4, part.length - 2) });
    }
    start = next;
  }
  return parts;
}

export async function startGcsStandIn(): Promise<StandIn & { objects: Map<string, StoredObject> }> {
  const objects = new Map<string, StoredObject>();
  let generation = 1;
  const resource = (bucket: string, name: string, o: StoredObject) => ({
    kind: 'storage#object',
    id: `${bucket}/${name}/${o.generation}`,
    name,
    bucket,
    generation: String(o.generation),
    contentType: o.contentType,
    cacheControl: o.cacheControl,
    size: String(o.bytes.length),
    md5Hash: createHash('md5').update(o.bytes).digest('base64'),
    crc32c: crc32c(o.bytes),
  });

  const handle = (req: StandInRequest): StandInResponse => {
    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(req.path);
    if (upload && req.method === 'POST') {
      const bucket = decodeURIComponent(upload[1]);
      if (req.query.get('uploadType') !== 'multipart') throw new HttpError(400, 'stand-in: only multipart uploads');
      const [meta, media] = multipartParts(req.body, String(req.headers['content-type']));
      const metadata = JSON.parse(meta.bytes.toString('utf8')) as { name?: string; contentType?: string; cacheControl?: string };
      const name = req.query.get('name') ?? metadata.name;
      if (!name) throw new HttpError(400, 'stand-in: object name missing');
      const contentType = metadata.contentType ?? /content-type:\s*(\S+)/i.exec(media.headers)?.[1] ?? 'application/octet-stream';
      const o: StoredObject = { bytes: Buffer.from(media.bytes), contentType, cacheControl: metadata.cacheControl, generation: generation++ };
      objects.set(`${bucket}/${name}`, o);
      return { json: resource(bucket, name, o) };
    }
    const object = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(req.path);
    if (object && req.method === 'DELETE') {
      const key = `${decodeURIComponent(object[1])}/${decodeURIComponent(object[2])}`;
      if (!objects.delete(key)) throw new HttpError(404, `No such object: ${key}`);
      return { status: 204, body: '' };
    }
    if (object && req.method === 'GET') {
      const bucket = decodeURIComponent(object[1]);
      const name = decodeURIComponent(object[2]);
      const o = objects.get(`${bucket}/${name}`);
      if (!o) throw new HttpError(404, `No such object: ${bucket}/${name}`);
      if (req.query.get('alt') === 'media') {
        return { headers: { 'content-type': o.contentType, 'x-goog-hash': `md5=${createHash('md5').update(o.bytes).digest('base64')}` }, body: o.bytes };
      }
      return { json: resource(bucket, name, o) };
    }
    throw new HttpError(404, `stand-in: no route ${req.method} ${req.path}`);
  };

  const standIn = await startStandIn(handle, (e) => {
    const code = e instanceof HttpError ? e.status : 500;
    return { status: code, json: { error: { code, message: e instanceof Error ? e.message : String(e), errors: [{ message: String(e), reason: code === 404 ? 'notFound' : 'invalid' }] } } };
  });
  return Object.assign(standIn, { objects });
}
