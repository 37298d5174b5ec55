// Chooses the ImageStore adapter from a URL; the SDKs load only for the scheme used. Kept apart from the port
// (image-store.ts), which the adapters import, so that no module imports its own importers.
//
// Example:
//   const images = await openImageStore('gs://shop-images/catalog?public_base=https://cdn.example.com');
//   const imageRef = await images.put('15970', jpegBytes, 'image/jpeg');
import { AppError } from '../../errors/app-error.js';
import { IMAGE_STORE_URL_FORMS, type ImageStore } from './image-store.js';

/**
 * Opens the image store a URL names:
 *   ./images, file:./images                          local folder (the default)
 *   gs://bucket/prefix?public_base=...&signed=3600   Google Cloud Storage (api_endpoint=... for emulators)
 *   s3://bucket/prefix?region=...&endpoint=...       S3 or an S3-compatible service (MinIO, R2: endpoint=...)
 * SDKs load only for the scheme used.
 */
export async function openImageStore(url: string): Promise<ImageStore> {
  if (url.startsWith('gs://')) {
    const { GcsImageStore } = await import('./gcs.image-store.js');
    return GcsImageStore.fromUrl(url);
  }
  if (url.startsWith('s3://')) {
    const { S3ImageStore } = await import('./s3.image-store.js');
    return S3ImageStore.fromUrl(url);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new AppError('CONFIG_ERROR', `unknown image store URL ${url}; expected ${IMAGE_STORE_URL_FORMS}`);
  const { FsImageStore } = await import('./fs.image-store.js');
  return new FsImageStore({ dir: url.startsWith('file:') ? url.slice('file:'.length) : url });
}
