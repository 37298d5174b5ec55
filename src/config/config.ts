// The only place that reads process.env. Precedence: defaults < config file (JSON) < environment < CLI flags.
// Every bad key is reported at once; the result is frozen. What must be known before a config can be loaded (the
// tracing switch, the debug switch for stack traces) is read here too, by small functions of their own.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AppError } from '../errors/app-error.js';
import { DEFAULT_FUSION } from '../domain/fusion.js';

/** A comma-separated list from the environment, or a JSON array from a config file. */
const fieldList = z.preprocess(
  (value) => (typeof value === 'string' ? value.split(',').map((f) => f.trim()).filter(Boolean) : value),
  z.array(z.string().min(1)),
);

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** true/false, also as the strings an environment variable holds (true, false, 1, 0). */
const booleanFrom = z.preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v), z.boolean());

/**
 * The search mode of a text query that names none. Hybrid: on val it beats vector on every query set, brand and typo
 * precision@1 by far more than the 0.10 docs/DECISIONS.md asks (figures in the README, "Search modes").
 */
export const DEFAULT_SEARCH_MODE = 'hybrid' as const;

/** Hybrid fusion as tuned on the val split (domain/fusion.ts), and the vector side's share of the result set. */
export const DEFAULT_HYBRID_SETTINGS = Object.freeze({ ...DEFAULT_FUSION, vectorCandidates: 100 });

export const ConfigSchema = z
  .object({
    dataDir: z.string().min(1).default('./vitrine-data'),
    /** Vector store URL (lance:<dir>, postgres://..., qdrant://..., pinecone://...); default lance:<dataDir>. */
    store: z.string().min(1).optional(),
    /** API keys of hosted vector stores. */
    qdrantApiKey: z.string().min(1).optional(),
    pineconeApiKey: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    modelCacheDir: z.string().min(1).optional(),
    /** Hugging Face hub address and token for models named by id (the standard HF_ENDPOINT, HF_TOKEN). */
    hubEndpoint: z.string().url().optional(),
    hubToken: z.string().min(1).optional(),
    host: z.string().min(1).default('0.0.0.0'),
    port: intFrom(0, 65535).default(30000),
    batchSize: intFrom(1, 1024).default(32),
    threads: intFrom(1, 256).optional(),
    maxUploadBytes: intFrom(1024, 1024 ** 3).default(20 * 1024 * 1024),
    maxImagePixels: intFrom(1, 1_000_000_000).default(50_000_000),
    maxQueryChars: intFrom(1, 1_000_000).default(1000),
    maxK: intFrom(1, 10_000).default(100),
    /** Results when a query names no k (at most maxK). */
    defaultK: intFrom(1, 10_000).default(8),
    /** Seconds to wait for an image URL in a catalog. */
    fetchTimeoutSeconds: intFrom(1, 3600).default(30),
    /** Result sets kept by the query cache; 0 disables caching. */
    cacheEntries: intFrom(0, 1_000_000).default(2000),
    cacheEmbeddingBytes: intFrom(0, 4 * 1024 ** 3).default(16 * 1024 * 1024),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * Mode of a text search that names none. Hybrid only where it beats vector on val (docs/DECISIONS.md, the
     * figures in the README): see DEFAULT_SEARCH_MODE.
     */
    searchMode: z.enum(['vector', 'keyword', 'hybrid']).default(DEFAULT_SEARCH_MODE),
    /** Attribute fields shown as filters, in order; default: every field but the split, years and ids, most selective first. */
    facetFields: fieldList.optional(),
    /** How hybrid search fuses its two rankings (weighted reciprocal rank fusion), tuned on the val split. */
    hybrid: z
      .object({
        rankConstant: z.number().min(0).max(10_000).default(DEFAULT_HYBRID_SETTINGS.rankConstant),
        vectorWeight: z.number().min(0).max(100).default(DEFAULT_HYBRID_SETTINGS.vectorWeight),
        keywordWeight: z.number().min(0).max(100).default(DEFAULT_HYBRID_SETTINGS.keywordWeight),
        vectorCandidates: z.number().int().min(1).max(10_000).default(DEFAULT_HYBRID_SETTINGS.vectorCandidates),
      })
      .strict()
      .prefault({}),
    /** serve: keep the embedded index in memory and answer searches, counts and facets from it. */
    inMemoryIndex: booleanFrom.default(true),
    /** serve: approximate (HNSW) search at and above this many products, exact below. */
    annMinProducts: intFrom(1, 1_000_000_000).default(200_000),
  })
  .strict();

export type Config = Readonly<z.infer<typeof ConfigSchema>>;
export type ConfigInput = Partial<Record<keyof z.infer<typeof ConfigSchema>, unknown>>;

const ENV_KEYS: Record<string, keyof z.infer<typeof ConfigSchema>> = {
  VITRINE_DATA: 'dataDir',
  VITRINE_STORE: 'store',
  QDRANT_API_KEY: 'qdrantApiKey',
  PINECONE_API_KEY: 'pineconeApiKey',
  VITRINE_MODEL: 'model',
  VITRINE_MODEL_CACHE: 'modelCacheDir',
  HF_ENDPOINT: 'hubEndpoint',
  HF_TOKEN: 'hubToken',
  VITRINE_HOST: 'host',
  VITRINE_PORT: 'port',
  VITRINE_BATCH_SIZE: 'batchSize',
  VITRINE_THREADS: 'threads',
  VITRINE_MAX_UPLOAD_BYTES: 'maxUploadBytes',
  VITRINE_MAX_IMAGE_PIXELS: 'maxImagePixels',
  VITRINE_MAX_QUERY_CHARS: 'maxQueryChars',
  VITRINE_MAX_K: 'maxK',
  VITRINE_DEFAULT_K: 'defaultK',
  VITRINE_FETCH_TIMEOUT_SECONDS: 'fetchTimeoutSeconds',
  VITRINE_LOG_LEVEL: 'logLevel',
  VITRINE_CACHE_ENTRIES: 'cacheEntries',
  VITRINE_CACHE_EMBEDDING_BYTES: 'cacheEmbeddingBytes',
  VITRINE_SEARCH_MODE: 'searchMode',
  VITRINE_FACET_FIELDS: 'facetFields',
  VITRINE_IN_MEMORY_INDEX: 'inMemoryIndex',
  VITRINE_ANN_MIN_PRODUCTS: 'annMinProducts',
};

/** Environment variables that configure Vitrine, for the README and `--help`. */
export const CONFIG_ENV_VARS = Object.keys(ENV_KEYS);

function fromEnv(env: NodeJS.ProcessEnv): ConfigInput {
  const out: ConfigInput = {};
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}

function fromFile(file: string | undefined): ConfigInput {
  if (!file) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ConfigInput;
  } catch (e) {
    throw new AppError('CONFIG_ERROR', `config file ${file} could not be read as JSON`, { cause: e });
  }
}

export interface LoadConfigOptions {
  /** Values from CLI flags (undefined entries are ignored). */
  flags?: ConfigInput;
  configFile?: string;
  env?: NodeJS.ProcessEnv;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const flags = Object.fromEntries(Object.entries(options.flags ?? {}).filter(([, v]) => v !== undefined));
  const merged = { ...fromFile(options.configFile ?? env.VITRINE_CONFIG), ...fromEnv(env), ...flags };
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new AppError('CONFIG_ERROR', `invalid configuration: ${problems.join('; ')}`);
  }
  return Object.freeze(parsed.data);
}

/**
 * Offsets beyond this are refused: a deep page costs a search for offset + k candidates, and hosted stores cap
 * that (Pinecone returns at most 10,000).
 */
const MAX_OFFSET = 10_000;

/** What a search may ask for; the API, its OpenAPI document, the web page and the CLI help all show these. */
export interface SearchLimits {
  /** k when a query names none. */
  defaultK: number;
  maxK: number;
  maxOffset: number;
  /** Longer query texts are refused (BAD_REQUEST); the model's own context cuts shorter ones. */
  maxQueryChars: number;
}

/** The search limits a config sets; a default k above maxK is lowered to maxK. */
export function searchLimits(config: Pick<Config, 'defaultK' | 'maxK' | 'maxQueryChars'>): SearchLimits {
  return { defaultK: Math.min(config.defaultK, config.maxK), maxK: config.maxK, maxOffset: MAX_OFFSET, maxQueryChars: config.maxQueryChars };
}

/** The limits of a config left at its defaults. */
export const DEFAULT_SEARCH_LIMITS: SearchLimits = searchLimits(ConfigSchema.parse({}));

/** The limits in effect for `--help` text: the environment's (and VITRINE_CONFIG's), or the defaults when invalid. */
export function searchLimitsForHelp(env: NodeJS.ProcessEnv = process.env): SearchLimits {
  try {
    return searchLimits(loadConfig({ env }));
  } catch {
    return DEFAULT_SEARCH_LIMITS;
  }
}

/** Tracing, from the standard OpenTelemetry variables: export by OTLP only when an endpoint is named. */
export interface TracingSettings {
  enabled: boolean;
  serviceName: string;
}

export function tracingFromEnv(env: NodeJS.ProcessEnv = process.env): TracingSettings {
  const off = (env.OTEL_TRACES_EXPORTER ?? '').split(',').includes('none') || env.OTEL_SDK_DISABLED === 'true';
  return {
    enabled: !off && Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT),
    serviceName: env.OTEL_SERVICE_NAME || 'vitrine',
  };
}

/** VITRINE_DEBUG: print the stack of an unexpected error (the CLI reports errors before any config is loaded). */
export function debugFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.VITRINE_DEBUG);
}
