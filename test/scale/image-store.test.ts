// The ImageStore adapters against local stand-ins: the filesystem, Google Cloud Storage (a JSON API stand-in via
// the SDK's apiEndpoint) and S3 (s3rver 3.7.1, path-style), plus live runs when credentials are set.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { objectKey, sniffContentType, type ImageStore } from '../../src/stores/images/image-store.js';
import { openImageStore } from '../../src/stores/images/open-image-store.js';
import { FsImageStore } from '../../src/stores/images/fs.image-store.js';
import { GcsImageStore } from '../../src/stores/images/gcs.image-store.js';
import { S3ImageStore } from '../../src/stores/images/s3.image-store.js';
import { startGcsStandIn } from '../stand-ins/gcs.js';
import { warnSkipped } from '../stand-ins/test-env.js';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x02, 0x03]);
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x01]);

function imageStoreContract(name: string, open: () => Promise<ImageStore>, expectUrl: (url: string, id: string) => void): void {
  describe(`ImageStore contract: ${name}`, () => {
    it('puts, gets, checks existence and replaces, with odd ids', async () => {
      const store = await open();
      for (const id of ['15970', 'dir/with slash', "é'1 夏", '..']) {
        expect(await store.exists(id)).toBe(false);
        expect(await store.get(id)).toBeNull();
        const url = await store.put(id, JPEG, 'image/jpeg');
        expectUrl(url, id);
        expect(url).toBe(store.urlFor(id));
        expect(await store.exists(id)).toBe(true);
        expect(await store.get(id)).toEqual({ bytes: JPEG, contentType: 'image/jpeg' });
      }
      await store.put('15970', PNG, 'image/png');
      expect(await store.get('15970')).toEqual({ bytes: PNG, contentType: 'image/png' });
    });
  });
}

describe('image stores', () => {
  let dir = '';
  let gcs: Awaited<ReturnType<typeof startGcsStandIn>>;
  let s3: { close(): Promise<void> } | null = null;
  let s3Endpoint = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-images-'));
    gcs = await startGcsStandIn();
    // s3rver ships no types: only its constructor, run() and close() are used.
    const s3rverModule = 's3rver';
    const { default: S3rver } = (await import(s3rverModule)) as { default: new (options: object) => { run(): Promise<{ port: number }>; close(): Promise<void> } };
    const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: path.join(dir, 's3rver'), configureBuckets: [{ name: 'vitrine-images' }] });
    const address = await server.run();
    s3 = server;
    s3Endpoint = `http://127.0.0.1:${address.port}`;
  });

  afterAll(async () => {
    await gcs?.close();
    await s3?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keys are flat and reversible; content types are sniffed', () => {
    expect(objectKey('a/b c')).toBe('a%2Fb%20c');
    expect(decodeURIComponent(objectKey("é'1 (x)*"))).toBe("é'1 (x)*");
    expect(objectKey('..')).toBe('%2E%2E');
    expect(sniffContentType(JPEG)).toBe('image/jpeg');
    expect(sniffContentType(PNG)).toBe('image/png');
  });

  imageStoreContract(
    'filesystem',
    async () => new FsImageStore({ dir: path.join(dir, `fs-${Date.now()}`) }),
    (url) => expect(path.isAbsolute(url)).toBe(true),
  );

  imageStoreContract(
    'Google Cloud Storage (stand-in)',
    async () => openImageStore(`gs://shop-images/catalog-${Date.now()}?api_endpoint=${encodeURIComponent(gcs.url)}`),
    (url, id) => expect(url).toMatch(new RegExp(`^https://storage\\.googleapis\\.com/shop-images/catalog-\\d+/${objectKey(id).replace(/[.%]/g, '\\$&')}$`)),
  );

  imageStoreContract(
    'S3 (s3rver, path-style)',
    async () =>
      new S3ImageStore({
        bucket: 'vitrine-images',
        prefix: `/catalog-${Date.now()}/`,
        endpoint: s3Endpoint,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      }),
    (url) => expect(url.startsWith(`${s3Endpoint}/vitrine-images/catalog-`)).toBe(true),
  );

  it('GCS: public_base for a CDN, and V4 signed URLs with service-account credentials', async () => {
    const viaCdn = await openImageStore(`gs://shop-images?public_base=https://cdn.example.com/img&api_endpoint=${encodeURIComponent(gcs.url)}`);
    expect(await viaCdn.put('42', JPEG, 'image/jpeg')).toBe('https://cdn.example.com/img/42');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signing = new GcsImageStore({
      bucket: 'shop-images',
      apiEndpoint: gcs.url,
      signedSeconds: 600,
      credentials: { client_email: 'vitrine@example.iam.gserviceaccount.com', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    });
    const url = new URL(await signing.put('43', JPEG, 'image/jpeg'));
    expect(url.searchParams.get('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
    expect(url.searchParams.get('X-Goog-Expires')).toBe('600');
  });

  it('reports an unreachable bucket as STORE_ERROR and an unknown scheme as CONFIG_ERROR', async () => {
    const down = new S3ImageStore({ bucket: 'nope', endpoint: 'http://127.0.0.1:1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    await expect(down.put('1', JPEG, 'image/jpeg')).rejects.toMatchObject({ code: 'STORE_ERROR' });
    await expect(openImageStore('ftp://host/x')).rejects.toMatchObject({ code: 'CONFIG_ERROR' });
  });
});

const liveGcs = process.env.VITRINE_TEST_GCS_BUCKET;
const liveS3 = process.env.VITRINE_TEST_S3_BUCKET;
if (!liveGcs) warnSkipped('GcsImageStore against real Cloud Storage', 'VITRINE_TEST_GCS_BUCKET is not set', 'set it (gs://bucket/prefix) with Google credentials to run it');
if (!liveS3) warnSkipped('S3ImageStore against real S3', 'VITRINE_TEST_S3_BUCKET is not set', 'set it (s3://bucket/prefix?region=...) with AWS credentials to run it');
describe.skipIf(!liveGcs)('live GCS', () => {
  imageStoreContract('GCS (live)', async () => openImageStore(`${liveGcs}/${Date.now()}`), (url) => expect(url).toMatch(/^https:\/\//));
});
describe.skipIf(!liveS3)('live S3', () => {
  imageStoreContract('S3 (live)', async () => openImageStore(liveS3!.replace(/(\?|$)/, `/${Date.now()}$1`)), (url) => expect(url).toMatch(/^https:\/\//));
});

describe('uploading product photos', () => {
  it('records the uploaded URL as imageRef and changes the content hash with the target', async () => {
    const { uploadProductImage, uploadAwareHash } = await import('../../src/stores/images/upload-images.js');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-upload-'));
    try {
      const a = new FsImageStore({ dir: path.join(dir, 'a') });
      const b = new FsImageStore({ dir: path.join(dir, 'b') });
      const product = { id: '15970', title: 'Shirt', attributes: { colour: 'Navy Blue' }, imageRef: '/catalog/15970.jpg' };
      const uploaded = await uploadProductImage(a, product, JPEG);
      expect(uploaded).toEqual({ ...product, imageRef: a.urlFor('15970') });
      expect(await a.get('15970')).toEqual({ bytes: JPEG, contentType: 'image/jpeg' });
      expect(uploadAwareHash('h', a, '15970')).not.toBe(uploadAwareHash('h', b, '15970'));
      expect(uploadAwareHash('h', a, '15970')).toBe(uploadAwareHash('h', a, '15970'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
