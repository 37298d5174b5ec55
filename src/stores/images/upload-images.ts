// What `vitrine index --upload-images <url>` does per product: upload the original photo to the image store and
// record the returned URL as the product's imageRef, so search results from any replica link to the bucket.
import type { Product } from '../../domain/types.js';
import { createHash } from 'node:crypto';
import { sniffContentType, type ImageStore } from './image-store.js';

/** Uploads the photo bytes and returns the product with its new imageRef. */
export async function uploadProductImage(images: ImageStore, product: Product, bytes: Uint8Array): Promise<Product> {
  const imageRef = await images.put(product.id, bytes, sniffContentType(bytes));
  return { ...product, imageRef };
}

/**
 * The content hash of an item indexed with uploads: the plain hash plus where the photo goes, so turning uploads on
 * (or moving buckets) re-processes items an earlier run indexed with local paths instead of skipping them.
 */
export function uploadAwareHash(contentHash: string, images: ImageStore, id: string): string {
  return createHash('sha256').update(contentHash).update('\0').update(images.urlFor(id)).digest('hex');
}
