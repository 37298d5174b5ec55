// The only place that reads process.env. Precedence: defaults < config file (JSON) < environment < CLI flags.
// Every bad key is reported at once; the result is frozen. What must be known before a config can be loaded (the
// tracing switch, the debug switch for stack traces) is read here too, by small functions of their own.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AppError } from '../errors/app-error.js';
import { DEFAULT_FUSION } from '../domain/fusion.js';


const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** A switch from JSON (true/false) or the environment (1/0, true/false, yes/no, on/off). */
const flag = () =>
  z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    const word = v.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(word)) return true;
    if (['0', 'false', 'no', 'off'].includes(word)) return false;
    return v;
  }, z.boolean());

/** true/false, also as the strings an environment variable holds. */
const booleanFrom = flag();

/** A list from JSON, or from the environment as comma-separated words. */
const wordList = () => z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((w) => w.trim()).filter(Boolean) : v), z.array(z.string().min(1)));

/** JSON given as text (the environment) parsed first; the schema then reports what is wrong with it. */
const fromJsonText = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  }, schema);

/**
 * An API key as config holds it: its SHA-256, never the key itself (`vitrine keys new` prints both). Keys are long
 * random strings, so one unsalted SHA-256 is enough; what matters is that a leaked config leaks no key.
 */
export const ApiKeySchema = z
  .object({
    /** Who holds the key, for logs and rate limits (never the key). */
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'name: 1-64 letters, digits, _ . -'),
    hash: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'hash must be sha256:<64 hex digits> (vitrine keys new prints one); plain keys are never stored'),
    scopes: z.array(z.enum(['read', 'write'])).min(1),
    /** Requests per minute for this key (default: config rateLimitPerMinute). */
    rateLimitPerMinute: intFrom(1, 10_000_000).optional(),
  })
  .strict();
export type ApiKeyEntry = z.infer<typeof ApiKeySchema>;

/** Who may use a group of routes: anyone, or requests with a valid key (of the route's scope). */
const access = () => z.enum(['open', 'key']);

/**
 * The search mode of a text query that names none. Hybrid: on val it beats vector on every query set, brand and typo
 * precision@1 by far more than the 0.10 docs/DECISIONS.md asks (figures in the README, "Search modes").
 */
export const DEFAULT_SEARCH_MODE = 'hybrid' as const;

/** Hybrid fusion as tuned on the val split (domain/fusion.ts), and the vector side's share of the result set. */
export const DEFAULT_HYBRID_SETTINGS = Object.freeze({ ...DEFAULT_FUSION, vectorCandidates: 100, keywordCandidates: 500 });

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
    facetFields: wordList().optional(),
    /** How hybrid search fuses its two rankings (weighted reciprocal rank fusion), tuned on the val split. */
    hybrid: z
      .object({
        rankConstant: z.number().min(0).max(10_000).default(DEFAULT_HYBRID_SETTINGS.rankConstant),
        vectorWeight: z.number().min(0).max(100).default(DEFAULT_HYBRID_SETTINGS.vectorWeight),
        keywordWeight: z.number().min(0).max(100).default(DEFAULT_HYBRID_SETTINGS.keywordWeight),
        vectorCandidates: z.number().int().min(1).max(10_000).default(DEFAULT_HYBRID_SETTINGS.vectorCandidates),
        keywordCandidates: z.number().int().min(1).max(1_000_000).default(DEFAULT_HYBRID_SETTINGS.keywordCandidates),
      })
      .strict()
      .prefault({}),
    /** Log query texts (the seed routes carry them in their URL); off, so shoppers' searches stay out of logs. */
    logQueries: flag().default(false),

    // Limits on what a client controls.
    /** Largest JSON body of a search (a batch of the write API has its own). */
    maxJsonBytes: intFrom(1024, 64 * 1024 ** 2).default(256 * 1024),
    /** JSON nesting deeper than this is refused before it is parsed (a search needs 3 levels). */
    maxJsonDepth: intFrom(4, 1000).default(32),
    /** Filter values in one request, all fields together. */
    maxFilterValues: intFrom(1, 1_000_000).default(1000),
    /** Seconds a client has to send its request headers. */
    headersTimeoutSeconds: intFrom(1, 3600).default(10),
    /** Seconds a client has to send its whole request, body included (a slow upload is cut off after it). */
    requestTimeoutSeconds: intFrom(1, 3600).default(30),
    /** Seconds shutdown waits for requests in flight before it closes their connections. */
    shutdownGraceSeconds: intFrom(0, 3600).default(10),
    /** Encodings (query text or photo) running at once; the rest wait in the queue. */
    encodeConcurrency: intFrom(1, 256).default(4),
    /** Encodings allowed to wait; beyond it a query answers 503 OVERLOADED with Retry-After. */
    encodeQueue: intFrom(0, 100_000).default(64),

    // Access.
    apiKeys: fromJsonText(z.array(ApiKeySchema)).default([]),
    /** Searches, products, images, facets, the web page's API: open to anyone unless `key`. */
    readAccess: access().default('open'),
    metricsAccess: access().default('open'),
    docsAccess: access().default('open'),
    /** Requests per minute per client address (and per key unless the key sets its own); 0 turns it off. */
    rateLimitPerMinute: intFrom(0, 10_000_000).default(6000),
    /** Origins allowed to call the API from a browser (CORS); none by default, `*` for any. */
    corsOrigins: wordList().default([]),

    // The catalog write API.
    /** Where photos uploaded through the write API are kept: a folder, gs://... or s3://... (default <dataDir>/images). */
    imageStore: z.string().min(1).optional(),
    /** Let image URLs of the write API point at private, loopback or link-local addresses (off: no SSRF). */
    allowPrivateImageUrls: flag().default(false),
    /** Products in one batch request. */
    maxBatchItems: intFrom(1, 100_000).default(100),
    /** Largest JSON body of a batch request. */
    maxBatchBytes: intFrom(1024, 1024 ** 3).default(16 * 1024 * 1024),
    /** serve: keep the embedded index in memory and answer searches, counts and facets from it. */
    inMemoryIndex: booleanFrom.default(true),
    /**
     * serve: approximate (HNSW) search at and above this many products, exact below. At 200,000 x 256 exact search
     * in memory takes tens of ms (46 ms p50 on the loaded 2-core machine, 191 ms at 1M) and the HNSW (M 24, ef 384)
     * 1-3 ms at recall@10 >= 0.998 plain and with filters (src/bench/stores.ts); below, exact search stays exact
     * and costs no HNSW build before ready.
     */
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
  VITRINE_LOG_QUERIES: 'logQueries',
  VITRINE_MAX_JSON_BYTES: 'maxJsonBytes',
  VITRINE_MAX_JSON_DEPTH: 'maxJsonDepth',
  VITRINE_MAX_FILTER_VALUES: 'maxFilterValues',
  VITRINE_HEADERS_TIMEOUT_SECONDS: 'headersTimeoutSeconds',
  VITRINE_REQUEST_TIMEOUT_SECONDS: 'requestTimeoutSeconds',
  VITRINE_SHUTDOWN_GRACE_SECONDS: 'shutdownGraceSeconds',
  VITRINE_ENCODE_CONCURRENCY: 'encodeConcurrency',
  VITRINE_ENCODE_QUEUE: 'encodeQueue',
  VITRINE_API_KEYS: 'apiKeys',
  VITRINE_READ_ACCESS: 'readAccess',
  VITRINE_METRICS_ACCESS: 'metricsAccess',
  VITRINE_DOCS_ACCESS: 'docsAccess',
  VITRINE_RATE_LIMIT_PER_MINUTE: 'rateLimitPerMinute',
  VITRINE_CORS_ORIGINS: 'corsOrigins',
  VITRINE_IMAGE_STORE: 'imageStore',
  VITRINE_ALLOW_PRIVATE_IMAGE_URLS: 'allowPrivateImageUrls',
  VITRINE_MAX_BATCH_ITEMS: 'maxBatchItems',
  VITRINE_MAX_BATCH_BYTES: 'maxBatchBytes',
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
