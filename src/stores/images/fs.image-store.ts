// The default ImageStore: a local folder. Fine for one machine (or a shared volume); put() returns the absolute
// path, which Vitrine's image route serves.
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError, errorMessage } from '../../errors/app-error.js';
import { objectKey, sniffContentType, type ImageStore, type StoredImage } from './image-store.js';

export interface FsImageStoreOptions {
  dir: string;
}

export class FsImageStore implements ImageStore {
  private readonly dir: string;

  constructor(options: FsImageStoreOptions) {
    this.dir = path.resolve(options.dir);
  }

  urlFor(id: string): string {
    return path.join(this.dir, objectKey(id));
  }

  async put(id: string, bytes: Uint8Array, _contentType: string): Promise<string> {
    const file = this.urlFor(id);
    try {
      await mkdir(this.dir, { recursive: true });
      // Write then rename, so a reader never sees half a photo.
      await writeFile(`${file}.tmp-${process.pid}`, bytes);
      await rename(`${file}.tmp-${process.pid}`, file);
    } catch (e) {
      throw new AppError('STORE_ERROR', `cannot write the image of ${id} to ${file}: ${errorMessage(e)}`, { cause: e });
    }
    return file;
  }

  async get(id: string): Promise<StoredImage | null> {
    try {
      const bytes = await readFile(this.urlFor(id));
      return { bytes, contentType: sniffContentType(bytes) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new AppError('STORE_ERROR', `cannot read the image of ${id}: ${errorMessage(e)}`, { cause: e });
    }
  }

  async exists(id: string): Promise<boolean> {
    return stat(this.urlFor(id)).then(
      () => true,
      () => false,
    );
  }
}
