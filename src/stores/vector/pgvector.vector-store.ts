// The shared store for scale-out: PostgreSQL + pgvector. Many stateless Vitrine replicas read one database (or
// its streaming replicas); metadata lives in a JSONB column so any catalog's fields filter without migrations.
// Search is HNSW (cosine) by default with ef_search raised to cover k + offset; `exact=1` scans every row.
//
// Example:
//   const store = await PgVectorStore.open({ url: 'postgres://vitrine@db:5432/vitrine?table=products' });
//   await store.search({ vector, k: 10, filters: { colour: ['Red', 'Blue'] } });
import pg from 'pg';
import { AppError, errorMessage, isAppError } from '../../errors/app-error.js';
import type { NormalizedFilters } from '../../domain/filters.js';
import type { StoreManifest } from '../../domain/manifest.js';
import type { Attributes, Facets, IndexedRecord } from '../../domain/types.js';
import { redactUrl, type StoreLocation } from './model-guard.js';
import { withRetry, type RetryDecision, type RetryPolicy } from './rate-limit.js';
import { VectorStoreKernel, type ManifestDecision, type NearestQuery, type VectorStoreDriver } from './store-kernel.js';
import type { StoredHit, StoredRecord } from './vector-store.js';
import { indexLockedError, writerHolder, type WriterHolder, type WriterLock } from './writer-lock.js';

export interface PgVectorStoreOptions {
  /** postgres://user:pass@host:port/db?table=products&exact=1&ef_search=100&index=hnsw&pool=10 */
  url: string;
}

export interface PgSettings {
  connectionString: string;
  table: string;
  /** Exact (sequential scan) search instead of the HNSW index: every query sees every row. */
  exact: boolean;
  /** HNSW candidate list size; raised per query to k + offset when that is larger. */
  efSearch: number;
  /** Build the HNSW index when the table is created (`index=none` defers it to createAnnIndex()). */
  createIndex: boolean;
  /** HNSW graph degree and build candidate list (CREATE INDEX ... WITH (m, ef_construction)). */
  m: number;
  efConstruction: number;
  poolSize: number;
}

/**
 * HNSW defaults, measured with src/bench/stores.ts (200,000 clustered synthetic 256-dim vectors, 100 queries of each
 * kind): with pgvector's own defaults (m 16, ef_construction 64) recall@10 stayed below 0.99 up to ef_search 400
 * (0.972 plain, 0.969 with a broad filter); with ef_construction 128, ef_search 400 gave 0.998 / 0.991 / 1.000
 * (plain / broad filter / selective filter) and 800 gave 0.998 / 0.996 / 1.000 at the same latency, so 800 keeps
 * a margin above the 0.99 target. See the README's Scaling out section.
 */
export const PG_HNSW = { m: 16, efConstruction: 128, efSearch: 800 };

const TABLE_NAME = /^[a-z_][a-z0-9_]{0,40}$/;
const WRITE_BATCH = 500;
/** Postgres SQLSTATE for "relation does not exist": a store that was never written. */
const UNDEFINED_TABLE = '42P01';
/** First key of Vitrine's advisory locks ('VITR'); the second is the hash of the table name. */
const LOCK_NAMESPACE = 0x56495452;
/** application_name of a writer's lock session: how a second writer learns who holds the lock. */
const HOLDER_NAME = /^vitrine (\d+)@([^ ]*) (.*)$/;

type ItemRow = { id: string; title: string; image_ref: string; content_hash: string; attributes: Attributes; embedding?: string };

/** Parses the store URL; Vitrine's own options are taken out of the query string before pg sees it. */
export function parsePgUrl(url: string): PgSettings {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AppError('CONFIG_ERROR', `invalid postgres store URL ${redactUrl(url)}`);
  }
  const q = parsed.searchParams;
  const table = q.get('table') ?? 'products';
  if (!TABLE_NAME.test(table)) {
    throw new AppError('CONFIG_ERROR', `invalid table name ${table}: use lower-case letters, digits and _ (at most 41 characters)`);
  }
  const int = (name: string, fallback: number): number => {
    const raw = q.get(name);
    if (raw === null) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new AppError('CONFIG_ERROR', `store URL option ${name}=${raw} must be a positive integer`);
    return n;
  };
  const settings: PgSettings = {
    connectionString: '',
    table,
    exact: ['1', 'true', 'yes'].includes(q.get('exact') ?? ''),
    efSearch: int('ef_search', PG_HNSW.efSearch),
    createIndex: (q.get('index') ?? 'hnsw') !== 'none',
    m: int('m', PG_HNSW.m),
    efConstruction: int('ef_construction', PG_HNSW.efConstruction),
    poolSize: int('pool', 10),
  };
  for (const key of ['table', 'exact', 'ef_search', 'index', 'pool', 'm', 'ef_construction']) q.delete(key);
  settings.connectionString = parsed.toString();
  return settings;
}

/** Where a Postgres index lives, in messages: table, host and database, never the credentials. */
export function pgLocation(settings: PgSettings): StoreLocation {
  const table = settings.table;
  const url = new URL(settings.connectionString);
  const label = `postgres table ${table} on ${url.host}${url.pathname}`;
  url.searchParams.set('table', table);
  return {
    label,
    reindexHint: `re-index with this model into another table (?table=${table}_v2 in the store URL), or DROP TABLE ${table}, ${table}_manifest and index again`,
    indexFlags: `--store ${redactUrl(url.toString())}`,
  };
}

export function toVectorLiteral(v: Float32Array): string {
  return `[${Array.from(v).join(',')}]`;
}

export function fromVectorLiteral(text: string): Float32Array {
  return Float32Array.from(JSON.parse(text) as number[]);
}

/**
 * Reads are retried this often when the connection drops (a restart, a failover): about 1.5 s in all, so a
 * restart that takes a second or two is absorbed and a longer outage answers STORE_ERROR quickly.
 */
const READ_RETRY: RetryPolicy = { maxRetries: 4, baseDelayMs: 100, maxDelayMs: 800 };

/** SQLSTATE classes and codes that mean "the connection or server went away", not "the query is wrong". */
const TRANSIENT_SQLSTATE = /^(08...|57P0[123]|53300|40001|40P01)$/;
const TRANSIENT_NODE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const TRANSIENT_MESSAGE = /Connection terminated|not queryable|timeout exceeded when trying to connect|the database system is (starting up|shutting down|in recovery mode)/i;

/** Whether a failed read may succeed on another connection a moment later (checked through AppError causes). */
export function isTransientPgError(e: unknown): boolean {
  for (let cause = e, depth = 0; cause && depth < 5; cause = (cause as { cause?: unknown }).cause, depth++) {
    const { code, message } = cause as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_NODE.has(code))) return true;
    if (typeof message === 'string' && TRANSIENT_MESSAGE.test(message)) return true;
  }
  return false;
}

const retryTransient = (e: unknown): RetryDecision => ({ retry: isTransientPgError(e) });

function sqlError(e: unknown, what: string): AppError {
  if (isAppError(e)) return e;
  return new AppError('STORE_ERROR', `postgres: ${what} failed: ${errorMessage(e)}`, { cause: e });
}

class PgDriver implements VectorStoreDriver {
  readonly location: StoreLocation;
  /**
   * count() and facets() results for the current index generation: the search service counts on every search, and
   * a count scans the table (about 15 ms for 44k products) while the generation is one indexed row.
   */
  private aggregates: { generation: string; entries: Map<string, unknown> } = { generation: '', entries: new Map() };
  /** pgvector >= 0.8 can keep scanning the graph until enough rows pass the filters (hnsw.iterative_scan). */
  private iterativeScan = false;
  private readonly t: string;
  private readonly manifestTable: string;
  private readonly label: string;
  /** Set when the session holding this process's writer lock dropped: the lock is gone with it. */
  private lockLost: Error | null = null;

  constructor(
    private readonly settings: PgSettings,
    private readonly pool: pg.Pool,
  ) {
    this.t = `"${settings.table}"`;
    this.manifestTable = `"${settings.table}_manifest"`;
    this.location = pgLocation(settings);
    this.label = this.location.label;
  }

  static async connect(options: PgVectorStoreOptions): Promise<PgDriver> {
    const settings = parsePgUrl(options.url);
    const pool = new pg.Pool({ connectionString: settings.connectionString, max: settings.poolSize, connectionTimeoutMillis: 10_000 });
    // A connection that drops (a restart ends every session with 57P01) emits 'error' on its client, in use or idle.
    // With no listener that event would end the process; the query in flight gets the error anyway, and pg-pool
    // discards a client released with an error, so the listeners only keep the event from going unhandled.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    const driver = new PgDriver(settings, pool);
    try {
      await driver.ensureExtension();
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw e;
    }
    return driver;
  }

  /** pgvector must be installed; creating it needs rights a read replica or a plain user may lack. */
  private async ensureExtension(): Promise<void> {
    let version: string | undefined;
    try {
      version = (await this.pool.query<{ extversion: string }>(`SELECT extversion FROM pg_extension WHERE extname = 'vector'`)).rows[0]?.extversion;
    } catch (e) {
      throw new AppError('STORE_ERROR', `cannot reach postgres (${redactUrl(this.settings.connectionString)}): ${errorMessage(e)}`, { cause: e });
    }
    try {
      if (version === undefined) {
        await this.pool.query('CREATE EXTENSION IF NOT EXISTS vector');
        version = (await this.pool.query<{ extversion: string }>(`SELECT extversion FROM pg_extension WHERE extname = 'vector'`)).rows[0]?.extversion;
      }
      const [major, minor] = (version ?? '0.0').split('.').map(Number);
      this.iterativeScan = major > 0 || minor >= 8;
    } catch (e) {
      throw new AppError(
        'STORE_ERROR',
        `the pgvector extension is missing from ${this.label} and could not be created (${errorMessage(e)}): install pgvector ` +
          `(Debian/Ubuntu: postgresql-<version>-pgvector; Cloud SQL and RDS ship it) and run CREATE EXTENSION vector as an owner of the database`,
        { cause: e },
      );
    }
  }

  /** A read, retried with backoff while the connection or server is away. */
  private read<T>(fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, retryTransient, READ_RETRY);
  }

  async loadManifest(): Promise<StoreManifest | null> {
    // The vector table is looked for before the manifest is read: the first bind (updateManifest) creates the table
    // and writes the manifest in one transaction, so a table seen here has its manifest committed too. In the other
    // order, a first bind committed between the two reads (a second `vitrine index` starting beside the first) would
    // look like vectors without a manifest.
    const table = await this.query<{ exists: boolean }>('looking for the table', 'SELECT to_regclass($1) IS NOT NULL AS exists', [this.t]);
    let manifest: StoreManifest | null;
    try {
      const r = await this.read(() => this.pool.query<{ manifest: StoreManifest }>(`SELECT manifest FROM ${this.manifestTable} WHERE id = 1`));
      manifest = r.rows[0]?.manifest ?? null;
    } catch (e) {
      if ((e as { code?: string }).code !== UNDEFINED_TABLE) throw sqlError(e, 'reading the manifest');
      manifest = null;
    }
    if (manifest) return manifest;
    // Vectors without the manifest that says which model made them: never served as an empty index.
    if (table.rows[0]?.exists) {
      throw new AppError(
        'INDEX_CORRUPT',
        `${this.label} holds vectors but its manifest (${this.settings.table}_manifest) is missing: the index is damaged; ` +
          `restore the manifest from a backup, or re-index into another table (?table=${this.settings.table}_v2)`,
      );
    }
    return null;
  }

  /** The manifest against the table: the vector column has the manifest's dimension. */
  async verify(manifest: StoreManifest): Promise<{ problems: string[]; warnings: string[] }> {
    const r = await this.query<{ type: string }>(
      'reading the vector column',
      `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'embedding'`,
      [this.t],
    );
    const type = r.rows[0]?.type;
    const problems = type === `vector(${manifest.model.dimension})` || type === undefined ? [] : [`the manifest says ${manifest.model.dimension} dims but the column is ${type}`];
    return { problems, warnings: [] };
  }

  async updateManifest(decide: ManifestDecision): Promise<StoreManifest> {
    return this.transaction('binding the model', async (client) => {
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.manifestTable} (id int PRIMARY KEY CHECK (id = 1), manifest jsonb NOT NULL, generation bigint NOT NULL DEFAULT 0)`);
      // Serialises concurrent first binds so only one creates the table.
      await client.query(`LOCK TABLE ${this.manifestTable} IN SHARE ROW EXCLUSIVE MODE`);
      const current = (await client.query<{ manifest: StoreManifest }>(`SELECT manifest FROM ${this.manifestTable} WHERE id = 1`)).rows[0]?.manifest ?? null;
      const next = decide(current);
      if (!next) return current!;
      if (!current) {
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${this.t} (id text PRIMARY KEY, title text NOT NULL, image_ref text NOT NULL, content_hash text NOT NULL, ` +
            `attributes jsonb NOT NULL, embedding vector(${next.model.dimension}) NOT NULL)`,
        );
        if (this.settings.createIndex) await this.createIndexSql(client);
      }
      await client.query(
        `INSERT INTO ${this.manifestTable} (id, manifest) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET manifest = EXCLUDED.manifest, generation = ${this.manifestTable}.generation + 1`,
        [JSON.stringify(next)],
      );
      return next;
    });
  }

  private async createIndexSql(client: pg.ClientBase): Promise<void> {
    const { m, efConstruction } = this.settings;
    await client.query(
      `CREATE INDEX IF NOT EXISTS "${this.settings.table}_embedding_hnsw" ON ${this.t} USING hnsw (embedding vector_cosine_ops) WITH (m = ${m}, ef_construction = ${efConstruction})`,
    );
  }

  /** Builds the HNSW index after a bulk load (faster than maintaining it row by row); no-op when present. */
  async createAnnIndex(): Promise<void> {
    const client = await this.connect();
    try {
      await client.query(`SET maintenance_work_mem = '512MB'`);
      await this.createIndexSql(client);
    } catch (e) {
      throw sqlError(e, 'building the HNSW index');
    } finally {
      client.release();
    }
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (e) {
      throw new AppError('STORE_ERROR', `cannot reach ${this.label}: ${errorMessage(e)}`, { cause: e });
    }
  }

  private async transaction<T>(what: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw sqlError(e, what);
    } finally {
      client.release();
    }
  }

  /** A read-only statement (retried while the connection is away). */
  private async query<R extends pg.QueryResultRow>(what: string, text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.read(() => this.pool.query<R>(text, values));
    } catch (e) {
      throw sqlError(e, what);
    }
  }

  /**
   * The writer lock: a session-level advisory lock held on a connection of its own for the run (or batch). Postgres
   * frees it when that session ends, a crashed writer included. Its application_name tells a second writer who holds it.
   */
  async lockWriter(command: string): Promise<WriterLock> {
    const holder = writerHolder(command);
    const client = new pg.Client({ connectionString: this.settings.connectionString, application_name: `vitrine ${holder.pid}@${holder.host} ${command}`.slice(0, 63) });
    let released = false;
    this.lockLost = null;
    client.on('error', (e) => {
      if (!released) this.lockLost = e;
    });
    try {
      await client.connect();
    } catch (e) {
      throw new AppError('STORE_ERROR', `cannot reach ${this.label} to take the writer lock: ${errorMessage(e)}`, { cause: e });
    }
    const keys = [LOCK_NAMESPACE, this.settings.table];
    try {
      const got = (await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS got', keys)).rows[0].got;
      if (!got) {
        const rows = await client.query<{ name: string; since: Date }>(
          `SELECT a.application_name AS name, a.backend_start AS since FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid ` +
            `WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid = $1::int::oid AND l.objid = hashtext($2)::oid`,
          keys,
        );
        const match = HOLDER_NAME.exec(rows.rows[0]?.name ?? '');
        const other: Partial<WriterHolder> | null = match ? { pid: Number(match[1]), host: match[2], command: match[3], since: rows.rows[0].since.toISOString() } : null;
        throw indexLockedError(this.location, other);
      }
    } catch (e) {
      await client.end().catch(() => undefined);
      throw sqlError(e, 'taking the writer lock');
    }
    return {
      holder,
      release: async () => {
        released = true;
        await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', keys).catch(() => undefined);
        await client.end().catch(() => undefined);
      },
    };
  }

  async write(records: IndexedRecord[]): Promise<void> {
    // A writer whose lock session dropped may no longer be alone: it stops (a re-run resumes).
    if (this.lockLost) throw new AppError('STORE_ERROR', `the writer lock on ${this.label} was lost with its connection (${this.lockLost.message}); run again`);
    // One id twice in one INSERT ... ON CONFLICT is an error in Postgres; the kernel passes one record per id.
    await this.transaction(`writing ${records.length} records`, async (client) => {
      for (let i = 0; i < records.length; i += WRITE_BATCH) {
        const batch = records.slice(i, i + WRITE_BATCH);
        await client.query(
          `INSERT INTO ${this.t} (id, title, image_ref, content_hash, attributes, embedding) ` +
            `SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::vector[]) ` +
            `ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, image_ref = EXCLUDED.image_ref, content_hash = EXCLUDED.content_hash, ` +
            `attributes = EXCLUDED.attributes, embedding = EXCLUDED.embedding`,
          [
            batch.map((r) => r.id),
            batch.map((r) => r.title),
            batch.map((r) => r.imageRef),
            batch.map((r) => r.contentHash),
            batch.map((r) => JSON.stringify(r.attributes)),
            batch.map((r) => toVectorLiteral(r.vector)),
          ],
        );
      }
      await this.bumpGeneration(client);
    });
  }

  private async bumpGeneration(client: pg.ClientBase): Promise<void> {
    await client.query(`UPDATE ${this.manifestTable} SET generation = generation + 1 WHERE id = 1`);
  }

  async remove(ids: string[]): Promise<number> {
    return this.transaction('deleting', async (client) => {
      const r = await client.query(`DELETE FROM ${this.t} WHERE id = ANY($1::text[])`, [ids]);
      if ((r.rowCount ?? 0) > 0) await this.bumpGeneration(client);
      return r.rowCount ?? 0;
    });
  }

  async contentHashes(ids: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const r = await this.query<{ id: string; content_hash: string }>('reading content hashes', `SELECT id, content_hash FROM ${this.t} WHERE id = ANY($1::text[])`, [ids]);
    for (const row of r.rows) out.set(row.id, row.content_hash);
    return out;
  }

  private rowToItem(r: ItemRow): StoredRecord {
    const item: StoredRecord = { id: r.id, title: r.title, imageRef: r.image_ref, attributes: r.attributes, contentHash: r.content_hash };
    if (r.embedding !== undefined) item.vector = fromVectorLiteral(r.embedding);
    return item;
  }

  private columns(withVector: boolean): string {
    return `id, title, image_ref, content_hash, attributes${withVector ? ', embedding::text AS embedding' : ''}`;
  }

  async get(id: string, withVector: boolean): Promise<StoredRecord | null> {
    const r = await this.query<ItemRow>('reading a product', `SELECT ${this.columns(withVector)} FROM ${this.t} WHERE id = $1`, [id]);
    return r.rows[0] ? this.rowToItem(r.rows[0]) : null;
  }

  /** WHERE clauses for the filters (skipping one field, for disjunctive facets), appended to `values`. */
  private whereSql(filters: NormalizedFilters, values: unknown[], options: { skipField?: string; excludeIds?: readonly string[] } = {}): string {
    const clauses: string[] = [];
    for (const [field, accepted] of filters) {
      if (field === options.skipField) continue;
      values.push(field, accepted);
      clauses.push(`(attributes ->> $${values.length - 1}) = ANY($${values.length}::text[])`);
    }
    if (options.excludeIds && options.excludeIds.length > 0) {
      values.push(options.excludeIds);
      clauses.push(`NOT (id = ANY($${values.length}::text[]))`);
    }
    return clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
  }

  searchSettings(): string {
    const { exact, efSearch, m, efConstruction } = this.settings;
    if (exact) return 'pgvector exact (every row scanned)';
    return `pgvector HNSW (m ${m}, ef_construction ${efConstruction}), hnsw.ef_search ${efSearch}${this.iterativeScan ? ', iterative scan with filters' : ''}`;
  }

  async nearest(query: NearestQuery): Promise<StoredHit[]> {
    const values: unknown[] = [toVectorLiteral(query.vector)];
    const where = this.whereSql(query.filters, values, { excludeIds: query.excludeIds });
    values.push(query.limit);
    // ORDER BY distance LIMIT n is what the HNSW index serves; the kernel orders ties and pages.
    const sql =
      `SELECT id, title, image_ref, attributes, embedding <=> $1::vector AS distance FROM ${this.t} ${where} ` +
      `ORDER BY embedding <=> $1::vector LIMIT $${values.length}`;
    // Read-only, so retried like the other reads when the connection drops.
    const rows = await this.read(() => this.transaction('vector search', async (client) => {
      if (this.settings.exact) {
        await client.query('SET LOCAL enable_indexscan = off');
      } else {
        await client.query(`SELECT set_config('hnsw.ef_search', $1, true)`, [String(Math.min(1000, Math.max(this.settings.efSearch, query.limit)))]);
        // Without it, a rare filter value could return fewer than k hits: the graph walk stops after ef_search
        // candidates, filtered afterwards. relaxed_order is safe here since the kernel sorts again.
        if (this.iterativeScan) await client.query(`SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)`);
      }
      return (await client.query<{ id: string; title: string; image_ref: string; attributes: Attributes; distance: number }>(sql, values)).rows;
    }));
    return rows.map((r) => ({ id: r.id, title: r.title, imageRef: r.image_ref, attributes: r.attributes, score: 1 - Number(r.distance) }));
  }

  /** A cached aggregate, recomputed when any process has written since (the generation changed). */
  private async cachedAggregate<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const generation = await this.version();
    if (this.aggregates.generation !== generation) this.aggregates = { generation, entries: new Map() };
    if (this.aggregates.entries.has(key)) return structuredClone(this.aggregates.entries.get(key) as T);
    const value = await compute();
    if (this.aggregates.entries.size >= 1000) this.aggregates.entries.clear();
    this.aggregates.entries.set(key, value);
    return structuredClone(value);
  }

  private static filterKey(filters: NormalizedFilters): string {
    return JSON.stringify([...filters.entries()].map(([f, v]) => [f, [...v].sort()]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  async count(filters: NormalizedFilters): Promise<number> {
    return this.cachedAggregate(`count:${PgDriver.filterKey(filters)}`, async () => {
      const values: unknown[] = [];
      const where = this.whereSql(filters, values);
      const r = await this.query<{ n: string }>('counting', `SELECT count(*) AS n FROM ${this.t} ${where}`, values);
      return Number(r.rows[0].n);
    });
  }

  async facets(fields: string[], filters: NormalizedFilters): Promise<Facets> {
    return this.cachedAggregate(`facets:${JSON.stringify(fields)}:${PgDriver.filterKey(filters)}`, () => this.countFacets(fields, filters));
  }

  private async countFacets(fields: string[], normalized: NormalizedFilters): Promise<Facets> {
    const facets: Facets = {};
    for (const field of fields) {
      const values: unknown[] = [field];
      const where = this.whereSql(normalized, values, { skipField: field });
      const r = await this.query<{ value: string; n: string }>(
        'counting facets',
        `SELECT attributes ->> $1 AS value, count(*) AS n FROM ${this.t} ${where ? `${where} AND` : 'WHERE'} attributes ? $1 GROUP BY 1`,
        values,
      );
      facets[field] = r.rows
        .map((row) => ({ value: row.value, count: Number(row.n) }))
        .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
    }
    return facets;
  }

  async *scan(options: { batchSize: number; withVector: boolean }): AsyncIterable<StoredRecord[]> {
    // Keyset paging by id: stable while other writers insert, and no OFFSET cost on large tables.
    let after: string | null = null;
    for (;;) {
      const r: pg.QueryResult<ItemRow> = await this.query<ItemRow>(
        'scanning',
        `SELECT ${this.columns(options.withVector)} FROM ${this.t} ${after === null ? '' : 'WHERE id > $2'} ORDER BY id LIMIT $1`,
        after === null ? [options.batchSize] : [options.batchSize, after],
      );
      if (r.rows.length === 0) return;
      yield r.rows.map((row) => this.rowToItem(row));
      if (r.rows.length < options.batchSize) return;
      after = r.rows[r.rows.length - 1].id;
    }
  }

  /** Changes on every write by any process (a generation counter bumped in the write's transaction). */
  async version(): Promise<string> {
    try {
      // createdAt tells apart an index dropped and made again, whose generation restarts.
      const r = await this.read(() =>
        this.pool.query<{ generation: string; created: string }>(`SELECT generation, manifest ->> 'createdAt' AS created FROM ${this.manifestTable} WHERE id = 1`),
      );
      return r.rows[0] ? `pg:${r.rows[0].created}:${r.rows[0].generation}` : 'pg:0';
    } catch (e) {
      if ((e as { code?: string }).code === UNDEFINED_TABLE) return 'pg:0';
      throw sqlError(e, 'reading the index version');
    }
  }

  async drop(): Promise<void> {
    await this.query('dropping the index', `DROP TABLE IF EXISTS ${this.t}, ${this.manifestTable}`);
    this.aggregates = { generation: '', entries: new Map() };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export class PgVectorStore extends VectorStoreKernel<PgDriver> {
  static async open(options: PgVectorStoreOptions): Promise<PgVectorStore> {
    const driver = await PgDriver.connect(options);
    try {
      return await new PgVectorStore(driver).load();
    } catch (e) {
      await driver.close().catch(() => undefined);
      throw e;
    }
  }

  /** Deletes the whole index (tests, and re-indexing from scratch). */
  declare readonly drop: () => Promise<void>;
}

export async function openPgVectorStore(options: PgVectorStoreOptions): Promise<PgVectorStore> {
  return PgVectorStore.open(options);
}
