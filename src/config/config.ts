// The only place that reads process.env. Precedence: defaults < config file (JSON) < environment < CLI flags.
// Every bad key is reported at once; the result is frozen.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AppError } from '../errors/app-error.js';

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

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
    host: z.string().min(1).default('0.0.0.0'),
    port: intFrom(0, 65535).default(30000),
    batchSize: intFrom(1, 1024).default(32),
    threads: intFrom(1, 256).optional(),
    maxUploadBytes: intFrom(1024, 1024 ** 3).default(20 * 1024 * 1024),
    maxImagePixels: intFrom(1, 1_000_000_000).default(50_000_000),
    maxQueryChars: intFrom(1, 1_000_000).default(1000),
    maxK: intFrom(1, 10_000).default(100),
    /** Seconds to wait for an image URL in a catalog. */
    fetchTimeoutSeconds: intFrom(1, 3600).default(30),
    /** Result sets kept by the query cache; 0 disables caching. */
    cacheEntries: intFrom(0, 1_000_000).default(2000),
    cacheEmbeddingBytes: intFrom(0, 4 * 1024 ** 3).default(16 * 1024 * 1024),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
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
  VITRINE_HOST: 'host',
  VITRINE_PORT: 'port',
  VITRINE_BATCH_SIZE: 'batchSize',
  VITRINE_THREADS: 'threads',
  VITRINE_MAX_UPLOAD_BYTES: 'maxUploadBytes',
  VITRINE_MAX_IMAGE_PIXELS: 'maxImagePixels',
  VITRINE_MAX_QUERY_CHARS: 'maxQueryChars',
  VITRINE_MAX_K: 'maxK',
  VITRINE_FETCH_TIMEOUT_SECONDS: 'fetchTimeoutSeconds',
  VITRINE_LOG_LEVEL: 'logLevel',
  VITRINE_CACHE_ENTRIES: 'cacheEntries',
  VITRINE_CACHE_EMBEDDING_BYTES: 'cacheEmbeddingBytes',
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
