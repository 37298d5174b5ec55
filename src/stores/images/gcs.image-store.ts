// Google Cloud Storage as the ImageStore, through the official SDK. put() returns a public URL (the bucket or a
// CDN in front of it is readable: see terraform/), or a V4 signed URL when the URL asks for `signed=<seconds>`.
// Credentials come from the usual Google sources (GOOGLE_APPLICATION_CREDENTIALS, workload identity).
import { Storage, type Bucket } from '@google-cloud/storage';
import { AppError, errorMessage } from '../../errors/app-error.js';
import { objectKey, prefixed, type ImageStore, type StoredImage } from './image-store.js';

export interface GcsImageStoreOptions {
  bucket: string;
  prefix?: string;
  /** Base of the returned URLs, e.g. a CDN; default https://storage.googleapis.com/<bucket>. */
  publicBase?: string;
  /** Return V4 signed URLs valid this many seconds (at most 7 days) instead of public ones. */
  signedSeconds?: number;
  /** Another endpoint (an emulator or stand-in); requests to it are sent without Google auth. */
  apiEndpoint?: string;
  projectId?: string;
  /** Service-account credentials; default Application Default Credentials. */
  credentials?: { client_email: string; private_key: string };
}

export class GcsImageStore implements ImageStore {
  private readonly bucket: Bucket;
  private readonly prefix: string;

  constructor(private readonly options: GcsImageStoreOptions) {
    const storage = new Storage({
      apiEndpoint: options.apiEndpoint,
      projectId: options.projectId,
      credentials: options.credentials,
      retryOptions: { autoRetry: true, maxRetries: 3 },
    });
    this.bucket = storage.bucket(options.bucket);
    this.prefix = options.prefix ?? '';
  }

  /** gs://bucket/prefix?public_base=https://cdn.example.com&signed=3600&api_endpoint=http://localhost:4443 */
  static fromUrl(url: string): GcsImageStore {
    const u = new URL(url);
    const signed = u.searchParams.get('signed');
    const signedSeconds = signed === null ? undefined : Number(signed);
    if (signedSeconds !== undefined && (!Number.isInteger(signedSeconds) || signedSeconds < 1 || signedSeconds > 604_800)) {
      throw new AppError('CONFIG_ERROR', `signed=${signed} must be seconds from 1 to 604800 (7 days)`);
    }
    return new GcsImageStore({
      bucket: u.hostname,
      prefix: decodeURIComponent(u.pathname),
      publicBase: u.searchParams.get('public_base') ?? undefined,
      signedSeconds,
      apiEndpoint: u.searchParams.get('api_endpoint') ?? undefined,
      projectId: u.searchParams.get('project') ?? undefined,
    });
  }

  private name(id: string): string {
    return prefixed(this.prefix, objectKey(id));
  }

  urlFor(id: string): string {
    const base = (this.options.publicBase ?? `https://storage.googleapis.com/${this.options.bucket}`).replace(/\/+$/, '');
    return `${base}/${this.name(id)}`;
  }

  private fail(what: string, e: unknown): AppError {
    return new AppError('STORE_ERROR', `gs://${this.options.bucket}: ${what} failed: ${errorMessage(e)}`, { cause: e });
  }

  async put(id: string, bytes: Uint8Array, contentType: string): Promise<string> {
    const file = this.bucket.file(this.name(id));
    try {
      // Photos are small: one multipart request instead of a resumable session.
      await file.save(Buffer.from(bytes), { resumable: false, contentType, metadata: { cacheControl: 'public, max-age=86400' } });
    } catch (e) {
      throw this.fail(`uploading the image of ${id}`, e);
    }
    if (this.options.signedSeconds === undefined) return this.urlFor(id);
    try {
      const [signed] = await file.getSignedUrl({ version: 'v4', action: 'read', expires: Date.now() + this.options.signedSeconds * 1000 });
      return signed;
    } catch (e) {
      throw this.fail(`signing the URL of ${id} (signed URLs need service-account credentials)`, e);
    }
  }

  async get(id: string): Promise<StoredImage | null> {
    const file = this.bucket.file(this.name(id));
    try {
      const [[bytes], [metadata]] = await Promise.all([file.download(), file.getMetadata()]);
      return { bytes, contentType: metadata.contentType ?? 'application/octet-stream' };
    } catch (e) {
      if ((e as { code?: number }).code === 404) return null;
      throw this.fail(`reading the image of ${id}`, e);
    }
  }

  async exists(id: string): Promise<boolean> {
    try {
      const [exists] = await this.bucket.file(this.name(id)).exists();
      return exists;
    } catch (e) {
      throw this.fail(`checking the image of ${id}`, e);
    }
  }
}
