// Chooses the VectorStore adapter from a store URL in config:
//   lance:./vitrine-data                                     embedded LanceDB (default: lance:<dataDir>)
//   postgres://user:pass@host:5432/db?table=products         PostgreSQL + pgvector (also postgresql://)
//   qdrant://host:6333/collection?shard_number=2&replication_factor=2   Qdrant (qdrants:// for TLS)
//   pinecone://index-name?namespace=shop&cloud=aws&region=us-east-1      Pinecone serverless
// The cloud adapters are imported on demand so the embedded default loads none of their SDKs. Only the
// composition root (src/context.ts) calls it.
import { AppError } from '../../errors/app-error.js';
import { redactUrl } from './model-guard.js';
import { openLanceStore } from './lance.vector-store.js';
import type { VectorStore } from './vector-store.js';
import type { InMemoryReads } from './store-kernel.js';

export interface OpenStoreOptions {
  /** Store URL; when absent, the embedded LanceDB store in dataDir. */
  url?: string;
  dataDir: string;
  /** API keys of hosted stores (config's qdrantApiKey and pineconeApiKey). */
  apiKeys?: { qdrant?: string; pinecone?: string };
  /** The embedded store only: keep the index in memory and answer reads from it (serve). */
  inMemory?: InMemoryReads;
}

export const STORE_URL_FORMS = 'lance:<dir>, postgres://user:pass@host:port/db?table=products, qdrant://host:6333/collection, pinecone://index';

/** The store URL a config names: its own, or the embedded store in the data dir. */
export function storeUrl(options: Pick<OpenStoreOptions, 'url' | 'dataDir'>): string {
  return options.url ?? `lance:${options.dataDir}`;
}

export async function openVectorStore(options: OpenStoreOptions): Promise<VectorStore> {
  const url = storeUrl(options);
  if (url.startsWith('lance:')) return openLanceStore({ dataDir: url.slice('lance:'.length) || options.dataDir, inMemory: options.inMemory });
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { openPgVectorStore } = await import('./pgvector.vector-store.js');
    return openPgVectorStore({ url });
  }
  if (/^qdrants?:\/\//.test(url)) {
    const { openQdrantStore } = await import('./qdrant.vector-store.js');
    return openQdrantStore({ url, apiKey: options.apiKeys?.qdrant });
  }
  if (url.startsWith('pinecone://')) {
    const { openPineconeStore } = await import('./pinecone.vector-store.js');
    return openPineconeStore({ url, apiKey: options.apiKeys?.pinecone });
  }
  throw new AppError('CONFIG_ERROR', `unknown store URL ${redactUrl(url)}; expected ${STORE_URL_FORMS}`);
}
