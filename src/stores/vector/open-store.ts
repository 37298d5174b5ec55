// Chooses the VectorStore adapter from a store URL in config:
//   lance:./vitrine-data (default: lance:<dataDir>)
// Scale-out adapters (postgres://, qdrant://, pinecone://) register here.
import { AppError } from '../../errors/app-error.js';
import { openLanceStore } from './lance.vector-store.js';
import type { VectorStore } from './vector-store.js';

export interface OpenStoreOptions {
  /** Store URL; when absent, the embedded LanceDB store in dataDir. */
  url?: string;
  dataDir: string;
}

export async function openVectorStore(options: OpenStoreOptions): Promise<VectorStore> {
  const url = options.url ?? `lance:${options.dataDir}`;
  if (url.startsWith('lance:')) return openLanceStore({ dataDir: url.slice('lance:'.length) || options.dataDir });
  throw new AppError('CONFIG_ERROR', `unknown store URL ${url}; expected lance:<dir>`);
}
