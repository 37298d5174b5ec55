// Chooses the VectorStore adapter from a store URL in config:
//   lance:./vitrine-data                                     embedded LanceDB (default: lance:<dataDir>)
//   postgres://user:pass@host:5432/db?table=products         PostgreSQL + pgvector (also postgresql://)
//   qdrant://host:6333/collection?shard_number=2&replication_factor=2   Qdrant (qdrants:// for TLS)
//   pinecone://index-name?namespace=shop&cloud=aws&region=us-east-1      Pinecone serverless
// The cloud adapters are imported on demand so the embedded default loads none of their SDKs.
import { AppError } from '../../errors/app-error.js';
import { openLanceStore } from './lance.vector-store.js';
import type { VectorStore } from './vector-store.js';

export interface OpenStoreOptions {
  /** Store URL; when absent, the embedded LanceDB store in dataDir. */
  url?: string;
  dataDir: string;
  /** API keys of hosted stores; the adapters fall back to QDRANT_API_KEY / PINECONE_API_KEY in the environment. */
  apiKeys?: { qdrant?: string; pinecone?: string };
}

export const STORE_URL_FORMS = 'lance:<dir>, postgres://user:pass@host:port/db?table=products, qdrant://host:6333/collection, pinecone://index';

export async function openVectorStore(options: OpenStoreOptions): Promise<VectorStore> {
  const url = options.url ?? `lance:${options.dataDir}`;
  if (url.startsWith('lance:')) return openLanceStore({ dataDir: url.slice('lance:'.length) || options.dataDir });
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
  throw new AppError('CONFIG_ERROR', `unknown store URL ${url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')}; expected ${STORE_URL_FORMS}`);
}
