// Chooses the VectorStore adapter from a store URL in config:
//   lance:./vitrine-data                                     embedded LanceDB (default: lance:<dataDir>)
//   postgres://user:pass@host:5432/db?table=products         PostgreSQL + pgvector (also postgresql://)
//   qdrant://host:6333/collection?shard_number=2&replication_factor=2   Qdrant (qdrants:// for TLS)
//   pinecone://index-name?namespace=shop&cloud=aws&region=us-east-1      Pinecone serverless
// The cloud adapters are imported on demand so the embedded default loads none of their SDKs.
import { AppError } from '../../errors/app-error.js';
import type { ModelManifest } from '../../model/embedder.js';
import { checkModelMatches, openLanceStore } from './lance.vector-store.js';
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

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

/** How to start over with another model in the store a URL names. */
export function reindexHintFor(url: string): string {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const table = new URL(url).searchParams.get('table') ?? 'products';
    return `re-index with this model into another table (?table=${table}_v2 in the store URL), or DROP TABLE ${table}, ${table}_manifest and index again`;
  }
  if (/^qdrants?:\/\//.test(url)) return 're-index with this model into another collection (qdrant://host:6333/<new collection>), or delete the collection and index again';
  if (url.startsWith('pinecone://')) return 're-index with this model into another index (pinecone://<new index>) or namespace (?namespace=<new>)';
  return 'run vitrine index with this model into a new store';
}

/**
 * Refuses a model other than the one the index was built with (MODEL_MISMATCH), with a re-index hint that fits the
 * store: the composition root calls it before serving or searching.
 */
export function checkStoreModel(existing: ModelManifest, model: ModelManifest, options: OpenStoreOptions): void {
  const url = options.url ?? `lance:${options.dataDir}`;
  if (url.startsWith('lance:')) return checkModelMatches(existing, model, url.slice('lance:'.length) || options.dataDir);
  if (existing.hash === model.hash && existing.dimension === model.dimension) return;
  throw new AppError(
    'MODEL_MISMATCH',
    `the index in ${redactUrl(url)} was built with model ${existing.id} (hash ${existing.hash.slice(0, 12)}, ${existing.dimension} dims), ` +
      `not ${model.id} (hash ${model.hash.slice(0, 12)}, ${model.dimension} dims): ${reindexHintFor(url)}`,
    { details: { indexModel: existing.id, indexHash: existing.hash, model: model.id, modelHash: model.hash } },
  );
}
