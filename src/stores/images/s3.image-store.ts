// S3 (or any S3-compatible service: MinIO, Cloudflare R2, Ceph) as the ImageStore, through the official SDK.
// put() returns the object's public URL (the bucket, or a CDN named by public_base, serves reads).
// Credentials and region come from the SDK's usual chain (AWS_* env vars, profiles, instance roles).
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AppError, errorMessage } from '../../errors/app-error.js';
import { objectKey, prefixed, type ImageStore, type StoredImage } from './image-store.js';

export interface S3ImageStoreOptions {
  bucket: string;
  prefix?: string;
  region?: string;
  /** An S3-compatible endpoint; path-style addressing is used with it (MinIO, s3rver, R2). */
  endpoint?: string;
  publicBase?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export class S3ImageStore implements ImageStore {
  private readonly client: S3Client;
  private readonly prefix: string;

  constructor(private readonly options: S3ImageStoreOptions) {
    this.client = new S3Client({
      region: options.region ?? 'us-east-1',
      endpoint: options.endpoint,
      forcePathStyle: options.endpoint !== undefined,
      credentials: options.credentials,
      maxAttempts: 4,
    });
    this.prefix = options.prefix ?? '';
  }

  /** s3://bucket/prefix?region=eu-west-1&endpoint=http://localhost:9000&public_base=https://cdn.example.com */
  static fromUrl(url: string): S3ImageStore {
    const u = new URL(url);
    return new S3ImageStore({
      bucket: u.hostname,
      prefix: decodeURIComponent(u.pathname),
      region: u.searchParams.get('region') ?? undefined,
      endpoint: u.searchParams.get('endpoint') ?? undefined,
      publicBase: u.searchParams.get('public_base') ?? undefined,
    });
  }

  private key(id: string): string {
    return prefixed(this.prefix, objectKey(id));
  }

  urlFor(id: string): string {
    const { bucket, endpoint, region, publicBase } = this.options;
    const base = publicBase ?? (endpoint ? `${endpoint.replace(/\/+$/, '')}/${bucket}` : `https://${bucket}.s3.${region ?? 'us-east-1'}.amazonaws.com`);
    return `${base.replace(/\/+$/, '')}/${this.key(id)}`;
  }

  private fail(what: string, e: unknown): AppError {
    return new AppError('STORE_ERROR', `s3://${this.options.bucket}: ${what} failed: ${errorMessage(e)}`, { cause: e });
  }

  async put(id: string, bytes: Uint8Array, contentType: string): Promise<string> {
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.options.bucket, Key: this.key(id), Body: bytes, ContentType: contentType, CacheControl: 'public, max-age=86400' }),
      );
    } catch (e) {
      throw this.fail(`uploading the image of ${id}`, e);
    }
    return this.urlFor(id);
  }

  async get(id: string): Promise<StoredImage | null> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(id) }));
      const bytes = Buffer.from(await r.Body!.transformToByteArray());
      return { bytes, contentType: r.ContentType ?? 'application/octet-stream' };
    } catch (e) {
      if ((e as { name?: string }).name === 'NoSuchKey' || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null;
      throw this.fail(`reading the image of ${id}`, e);
    }
  }

  async exists(id: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.key(id) }));
      return true;
    } catch (e) {
      if ((e as { name?: string }).name === 'NotFound' || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
      throw this.fail(`checking the image of ${id}`, e);
    }
  }
}
