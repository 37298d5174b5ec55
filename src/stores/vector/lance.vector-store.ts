// The embedded default store: LanceDB tables under the data dir, exact (flat) cosine search by default, with an
// optional ANN index. Attribute fields become their own columns (attr_0, attr_1, ...) so filters run inside
// LanceDB as prefilters; the manifest beside the table maps field names to columns and records the model.
// Reading never creates anything: the data dir is made on the first write (LanceDB's connect would make it).
//
// Readers and writers in different processes: every write is a LanceDB commit (a new version, never a change to the
// files of an old one); a reader re-checks the latest version at most every second and reads one version per
// query. Cleanup after a run keeps the versions of the last KEEP_OLD_VERSIONS_MS, so a reader still on an older one
// finds its files; a read that loses the race anyway moves to the latest version and is tried once more.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import type { FixedSizeList, RecordBatch, Schema, Table as ArrowTable, Vector as ArrowVector } from 'apache-arrow';
import { AppError, errorMessage, isAppError } from '../../errors/app-error.js';
import { cleanNativeMessage, diskFullError } from '../../errors/system-errors.js';
import { countFacets, type NormalizedFilters } from '../../domain/filters.js';
import { publicManifest, type StoreManifest } from '../../domain/manifest.js';
import type { Attributes, Facets, IndexedRecord } from '../../domain/types.js';
import type { StoreLocation } from './model-guard.js';
import { attributeColumns, VectorStoreKernel, type InMemoryReads, type ManifestDecision, type NearestQuery, type VectorStoreDriver } from './store-kernel.js';
import type { StoredHit, StoredItem, StoredRecord } from './vector-store.js';
import { lockDataDir, type WriterLock } from './writer-lock.js';
import { FileChecksums } from './file-checksums.js';
import { CopyFile } from './memory-index/copy-file.js';

const TABLE = 'products';
/** Query settings of LanceDB's own ANN index (when `vitrine index --ann` built one). */
export const LANCE_ANN = { ef: 256, nprobes: 4, refineFactor: 4 };
const MANIFEST_FILE = 'manifest.json';
const CHECKSUM_FILE = 'checksums.json';
/**
 * A server's in-memory copy, saved (memory-index/copy-file.ts). Outside the table's folders, so neither the file
 * checksums nor LanceDB see it; a cache only, keyed by the table version and the fingerprint below.
 */
export const COPY_FILE = 'memory-copy.bin';
/**
 * Old versions kept by the cleanup that ends an indexing run. Readers move to a new version within a second
 * (readConsistencyInterval plus versionReuseMs) and a query on the old one finishes in far less than this; older versions' files go.
 */
const KEEP_OLD_VERSIONS_MS = 60_000;
/**
 * Arrow as LanceDB itself loads it (CommonJS). An ESM import gives a second copy of the classes, and LanceDB does not
 * take a table built with those as a table (instanceof fails); built with this one, a batch is written as it is.
 */
const arrow = createRequire(import.meta.url)('apache-arrow') as typeof import('apache-arrow');
/** A file of the version being read is gone (cleaned up by a writer): reading the latest version mends it. */
const MISSING_FILE = /Not found|No such file|object at location .* not found/i;

/** A LanceDB failure as an AppError: STORAGE_FULL for a full disk, else STORE_ERROR without Rust source paths. */
function lanceError(e: unknown, what: string, dataDir: string): AppError {
  if (isAppError(e)) return e;
  return diskFullError(e, dataDir) ?? new AppError('STORE_ERROR', `${what} failed: ${cleanNativeMessage(errorMessage(e))}`, { cause: e });
}

/** The manifest as saved in manifest.json: the column of each attribute field beside the manifest. */
interface LanceManifest extends StoreManifest {
  columns: Record<string, string>;
}

export interface LanceStoreOptions {
  dataDir: string;
  /** Keep the index in memory and answer reads from it (a server); the table stays the truth. */
  inMemory?: InMemoryReads;
}

type Row = Record<string, unknown>;

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function lanceLocation(dataDir: string): StoreLocation {
  const dir = path.resolve(dataDir);
  return {
    label: `the data dir ${dir}`,
    reindexHint: `re-index with this model into a new data dir (vitrine index <catalog> --data <new dir> --model <model>), or delete ${dir} and index again`,
    indexFlags: `--data ${dir}`,
  };
}

/**
 * Row i of a FixedSizeList<Float32> column: a view of the child's contiguous values, not a copy (Arrow slices a
 * fixed-size list's child with the list, so row i of a chunk starts at i * listSize). The view keeps the batch alive.
 */
function vectorRows(column: ArrowVector): (i: number) => Float32Array {
  const chunks = column.data.map((data) => ({ length: data.length, dim: (data.type as FixedSizeList).listSize, values: data.children[0].values as Float32Array }));
  return (i) => {
    let row = i;
    for (const c of chunks) {
      if (row < c.length) return c.values.subarray(row * c.dim, (row + 1) * c.dim);
      row -= c.length;
    }
    throw new RangeError(`row ${i} is outside the column`);
  };
}

class LanceDriver implements VectorStoreDriver {
  readonly location: StoreLocation;
  private db: lancedb.Connection | null = null;
  private table: lancedb.Table | null = null;
  /** attribute field -> column, from the manifest last read or written. */
  private columns: Record<string, string> = {};
  private updatedAt = '';
  /**
   * The kernel may reuse a version token this long: with the table re-checked every half second, a server still
   * sees another process's commit within 0.7 s (DECISIONS.md: readers catch up within a second).
   */
  readonly versionReuseMs = 200;
  private snapshot: { version: number; items: { id: string; attributes: Attributes }[] } | null = null;
  /** Set when a writer lock this process held was lost (its folder removed or not refreshed in time). */
  private lockLost: Error | null = null;
  /** The manifest text last checked against the table (checked again only when it changes). */
  private checkedManifest = '';
  /** SHA-256 of every data file, recorded after each commit (LanceDB never changes a file once written). */
  private readonly checksums: FileChecksums;
  /**
   * The ids in the table at a version, learnt by the first write of this process (one scan of the id column) and
   * kept in step by its own commits, so that a write knows whether it adds or replaces rows without scanning the
   * table again: a count of the batch's ids per write grew with the table (quadratic over an indexing run; at 1M
   * products most of the write time). Any other version (another process wrote) is scanned again.
   */
  private knownIds: { version: number; ids: Set<string> } | null = null;

  constructor(private readonly dataDir: string) {
    this.location = lanceLocation(dataDir);
    this.checksums = new FileChecksums({ root: path.join(dataDir, `${TABLE}.lance`), dirs: ['data', '_deletions', '_indices'], file: path.join(dataDir, CHECKSUM_FILE) });
  }

  /** The connection; null while the data dir does not exist and nothing is to be written. */
  private async connection(create: boolean): Promise<lancedb.Connection | null> {
    if (this.db) return this.db;
    if (!create && !existsSync(this.dataDir)) return null;
    try {
      if (create) await mkdir(this.dataDir, { recursive: true });
      // Re-check the table at most every half second, so a server sees writes made by `vitrine index` in another
      // process within a second (plus versionReuseMs).
      this.db = await lancedb.connect(this.dataDir, { readConsistencyInterval: 0.5 });
    } catch (e) {
      throw lanceError(e, `opening the data dir ${this.dataDir}`, this.dataDir);
    }
    return this.db;
  }

  /** The table, opened late if another process created it after this store was opened. */
  private async openTable(): Promise<lancedb.Table | null> {
    if (this.table) return this.table;
    const db = await this.connection(false);
    if (!db || !(await db.tableNames()).includes(TABLE)) return null;
    try {
      this.table = await db.openTable(TABLE);
    } catch {
      // Another process is creating the table right now (its first version is not committed yet).
      return null;
    }
    return this.table;
  }

  /**
   * A read of the table, as an AppError when it fails. A read whose files a writer's cleanup removed meanwhile is
   * tried once more on the latest version.
   */
  private async reading<T>(what: string, fn: (table: lancedb.Table) => Promise<T>, none: T): Promise<T> {
    const table = await this.openTable();
    if (!table) return none;
    try {
      return await fn(table);
    } catch (e) {
      if (!MISSING_FILE.test(errorMessage(e))) throw lanceError(e, what, this.dataDir);
      try {
        await table.checkoutLatest();
        return await fn(table);
      } catch (again) {
        throw lanceError(again, what, this.dataDir);
      }
    }
  }

  /** INDEX_CORRUPT for this data dir, with what is wrong and what to do. */
  private corrupt(what: string): AppError {
    return new AppError(
      'INDEX_CORRUPT',
      `the index in ${this.dataDir} is damaged: ${what}. Restore the data dir from a backup, or re-index into a new one (vitrine index <catalog> --data <new dir>); vitrine verify --data ${this.dataDir} lists every problem`,
    );
  }

  async loadManifest(): Promise<StoreManifest | null> {
    const file = path.join(this.dataDir, MANIFEST_FILE);
    // The table is looked for before the manifest is read: a first bind writes the manifest before the first upsert
    // creates the table, so in this order a writer starting beside this read never looks like a damaged index.
    const hasTable = existsSync(path.join(this.dataDir, `${TABLE}.lance`));
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw lanceError(e, `reading ${file}`, this.dataDir);
      // Vectors without the manifest that says which model made them: never served as an empty index.
      if (hasTable) throw this.corrupt(`it holds a table (${TABLE}.lance) but no ${MANIFEST_FILE}`);
      this.columns = {};
      return null;
    }
    let saved: LanceManifest;
    try {
      saved = JSON.parse(text) as LanceManifest;
      if (!saved?.model?.hash || !Number.isInteger(saved.model.dimension) || !Array.isArray(saved.attributeFields)) throw new Error('fields are missing');
    } catch (e) {
      throw this.corrupt(`${MANIFEST_FILE} is not a manifest (${errorMessage(e)})`);
    }
    const columns = saved.columns ?? attributeColumns({}, saved.attributeFields);
    if (text !== this.checkedManifest) {
      await this.checkTable(saved, columns);
      this.checkedManifest = text;
    }
    this.columns = columns;
    this.updatedAt = saved.updatedAt;
    return publicManifest(saved);
  }

  /** The manifest against the table: every column it names exists, and the vectors have its dimension. */
  private async checkTable(manifest: StoreManifest, columns: Record<string, string>): Promise<void> {
    const table = await this.openTable();
    if (!table) return;
    let schema: Schema;
    try {
      schema = await table.schema();
    } catch (e) {
      throw lanceError(e, 'reading the table schema', this.dataDir);
    }
    const names = new Set(schema.fields.map((f) => f.name));
    const missing = Object.entries(columns).filter(([, column]) => !names.has(column));
    if (missing.length > 0) {
      throw this.corrupt(`${MANIFEST_FILE} names columns the table does not have (${missing.map(([field, column]) => `${field} -> ${column}`).join(', ')})`);
    }
    const vector = schema.fields.find((f) => f.name === 'vector');
    const dimension = (vector?.type as { listSize?: number } | undefined)?.listSize;
    if (dimension !== manifest.model.dimension) {
      throw this.corrupt(`${MANIFEST_FILE} says ${manifest.model.dimension} dims but the table holds vectors of ${dimension ?? 'no'} dims`);
    }
  }

  async updateManifest(decide: ManifestDecision): Promise<StoreManifest> {
    const current = await this.loadManifest();
    const next = decide(current);
    if (!next) return current!;
    await this.connection(true);
    const columns = attributeColumns(this.columns, next.attributeFields);
    const added = next.attributeFields.filter((f) => !(f in this.columns));
    const file = path.join(this.dataDir, MANIFEST_FILE);
    try {
      const table = await this.openTable();
      if (added.length > 0 && table) await table.addColumns(added.map((f) => ({ name: columns[f], valueSql: 'CAST(NULL AS STRING)' })));
      await writeFile(`${file}.tmp`, JSON.stringify({ ...next, columns }, null, 2));
      await rename(`${file}.tmp`, file);
    } catch (e) {
      throw lanceError(e, `writing ${file}`, this.dataDir);
    }
    this.columns = columns;
    this.updatedAt = next.updatedAt;
    await this.recordChecksums();
    return next;
  }

  /** Records the checksums of the files the last commit added (best effort: what is missed is checked as unrecorded). */
  private async recordChecksums(): Promise<void> {
    await this.checksums.record().catch(() => undefined);
  }

  async verify(): Promise<{ problems: string[]; warnings: string[] }> {
    const report = await this.checksums.check();
    const warnings = report.unrecorded.length > 0 ? [`${report.unrecorded.length} data files have no recorded checksum (a run stopped before it recorded them; the next write records them)`] : [];
    return { problems: report.problems.map((p) => `${TABLE}.lance/${p}`), warnings };
  }

  async lockWriter(command: string): Promise<WriterLock> {
    this.lockLost = null;
    return lockDataDir(this.dataDir, command, this.location, (e) => (this.lockLost = e));
  }

  /** Refuses to write on after this process lost its writer lock (another writer may be in). */
  private checkLock(): void {
    if (this.lockLost) throw new AppError('STORE_ERROR', `the writer lock of ${this.dataDir} was lost (${this.lockLost.message}); run again`);
  }

  private schema(dimension: number): Schema {
    const { Field, FixedSizeList, Float32, Schema, Utf8 } = arrow;
    return new Schema([
      new Field('id', new Utf8(), false),
      new Field('title', new Utf8(), false),
      new Field('image_ref', new Utf8(), false),
      new Field('content_hash', new Utf8(), false),
      new Field('attributes_json', new Utf8(), false),
      ...Object.values(this.columns).map((c) => new Field(c, new Utf8(), true)),
      new Field('vector', new FixedSizeList(dimension, new Field('item', new Float32(), true)), false),
    ]);
  }

  /**
   * The records as one Arrow batch, built column by column: the vectors are copied once into one Float32Array that
   * becomes the FixedSizeList's child as it is. (lancedb.makeArrowTable pushes every float through an Arrow
   * builder: about 55 µs a row at 256 dims, which made writing 1M products take minutes of JavaScript.)
   */
  private toArrow(records: readonly IndexedRecord[], dimension: number): ArrowTable {
    const schema = this.schema(dimension);
    const strings = (values: (string | null)[]) => arrow.vectorFromArray(values, new arrow.Utf8()).data[0];
    const vectors = new Float32Array(records.length * dimension);
    records.forEach((r, i) => vectors.set(r.vector, i * dimension));
    const vectorType = schema.fields[schema.fields.length - 1].type as FixedSizeList;
    const children = [
      strings(records.map((r) => r.id)),
      strings(records.map((r) => r.title)),
      strings(records.map((r) => r.imageRef)),
      strings(records.map((r) => r.contentHash)),
      strings(records.map((r) => JSON.stringify(r.attributes))),
      ...Object.keys(this.columns).map((field) => strings(records.map((r) => r.attributes[field] ?? null))),
      arrow.makeData({
        type: vectorType,
        length: records.length,
        nullCount: 0,
        child: arrow.makeData({ type: new arrow.Float32(), length: vectors.length, nullCount: 0, data: vectors }),
      }),
    ];
    const batch = new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: records.length, nullCount: 0, children }));
    return new arrow.Table(schema, [batch]);
  }

  private inList(ids: readonly string[]): string {
    return `id IN (${ids.map(sqlString).join(', ')})`;
  }

  async write(records: IndexedRecord[], manifest: StoreManifest): Promise<void> {
    this.checkLock();
    const data = this.toArrow(records, manifest.model.dimension);
    try {
      const table = await this.openTable();
      if (!table) {
        this.table = await (await this.connection(true))!.createTable(TABLE, data);
        this.knownIds = { version: await this.table.version(), ids: new Set(records.map((r) => r.id)) };
      } else {
        const ids = await this.idsOf(table);
        if (!records.some((r) => ids.has(r.id))) await table.add(data);
        else await table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(data);
        for (const r of records) ids.add(r.id);
        this.knownIds = { version: await table.version(), ids };
      }
    } catch (e) {
      throw lanceError(e, `writing ${records.length} records`, this.dataDir);
    }
    this.snapshot = null;
    await this.recordChecksums();
  }

  /** Every id in the table at its current version (see knownIds). */
  private async idsOf(table: lancedb.Table): Promise<Set<string>> {
    const version = await table.version();
    if (this.knownIds?.version === version) return this.knownIds.ids;
    const ids = new Set<string>();
    for await (const batch of table.query().select(['id']) as AsyncIterable<RecordBatch>) for (const id of batch.getChild('id')!.toArray() as string[]) ids.add(id);
    this.knownIds = { version, ids };
    return ids;
  }

  /** Runs a commit of this process, keeping the known ids in step (as `change` says) when they were current. */
  private async keepingKnownIds(table: lancedb.Table, commit: () => Promise<unknown>, change?: (ids: Set<string>) => void): Promise<void> {
    const known = this.knownIds;
    const current = known !== null && known.version === (await table.version());
    this.knownIds = null;
    await commit();
    if (!current) return;
    change?.(known.ids);
    this.knownIds = { version: await table.version(), ids: known.ids };
  }

  async remove(ids: string[]): Promise<number> {
    const table = await this.openTable();
    if (!table) return 0;
    try {
      const before = await table.countRows();
      await this.keepingKnownIds(table, () => table.delete(this.inList(ids)), (known) => ids.forEach((id) => known.delete(id)));
      this.snapshot = null;
      const removed = before - (await table.countRows());
      await this.recordChecksums();
      return removed;
    } catch (e) {
      throw lanceError(e, `deleting ${ids.length} ids`, this.dataDir);
    }
  }

  async contentHashes(ids: string[]): Promise<Map<string, string>> {
    return this.reading(
      'reading content hashes',
      async (table) => {
        const out = new Map<string, string>();
        for (let i = 0; i < ids.length; i += 500) {
          const rows = (await table.query().where(this.inList(ids.slice(i, i + 500))).select(['id', 'content_hash']).toArray()) as Row[];
          for (const r of rows) out.set(String(r.id), String(r.content_hash));
        }
        return out;
      },
      new Map<string, string>(),
    );
  }

  private rowToItem(r: Row): StoredItem {
    return {
      id: String(r.id),
      title: String(r.title),
      imageRef: String(r.image_ref),
      attributes: JSON.parse(String(r.attributes_json)) as Attributes,
      contentHash: String(r.content_hash),
    };
  }

  async get(id: string, withVector: boolean): Promise<StoredRecord | null> {
    const rows = await this.reading('reading a product', async (table) => (await table.query().where(`id = ${sqlString(id)}`).limit(1).toArray()) as Row[], []);
    if (rows.length === 0) return null;
    const item: StoredRecord = this.rowToItem(rows[0]);
    if (withVector) item.vector = Float32Array.from(rows[0].vector as Iterable<number>);
    return item;
  }

  async vectorsOf(ids: readonly string[]): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    const table = await this.openTable();
    if (!table) return out;
    for (let i = 0; i < ids.length; i += 500) {
      const rows = (await table.query().where(this.inList(ids.slice(i, i + 500))).select(['id', 'vector']).toArray()) as Row[];
      for (const r of rows) out.set(String(r.id), Float32Array.from(r.vector as Iterable<number>));
    }
    return out;
  }

  private whereSql(filters: NormalizedFilters, excludeIds: readonly string[] = []): string | undefined {
    const clauses: string[] = [];
    for (const [field, values] of filters) clauses.push(`${this.columns[field]} IN (${values.map(sqlString).join(', ')})`);
    if (excludeIds.length > 0) clauses.push(`NOT (${this.inList(excludeIds)})`);
    return clauses.length > 0 ? clauses.join(' AND ') : undefined;
  }

  async nearest(query: NearestQuery): Promise<StoredHit[]> {
    const where = this.whereSql(query.filters, query.excludeIds);
    const rows = await this.reading(
      'vector search',
      async (table) => {
        // Ignored without an ANN index (exact search); with one (vitrine index --ann): a wider HNSW beam than
        // LanceDB's default (1.5 x limit), more partitions probed, and the best candidates re-scored on the full
        // vectors so that scores are exact and the recall targets hold (measured in src/bench/stores.ts --lance-ann).
        let search = table
          .vectorSearch(Array.from(query.vector))
          .distanceType('cosine')
          .limit(query.limit)
          .ef(Math.max(LANCE_ANN.ef, 2 * query.limit))
          .nprobes(LANCE_ANN.nprobes)
          .refineFactor(LANCE_ANN.refineFactor);
        if (where) search = search.where(where);
        return (await search.select(['id', 'title', 'image_ref', 'content_hash', 'attributes_json', '_distance']).toArray()) as Row[];
      },
      [],
    );
    return rows.map((r) => ({ ...this.rowToItem(r), score: 1 - Number(r._distance) }));
  }

  async count(filters: NormalizedFilters): Promise<number> {
    return this.reading('counting', (table) => table.countRows(this.whereSql(filters)), 0);
  }

  /** id and attributes of every product, cached until the table changes; backs facet counts. */
  private async metadata(): Promise<{ id: string; attributes: Attributes }[]> {
    return this.reading(
      'reading attributes',
      async (table) => {
        const version = await table.version();
        if (this.snapshot?.version === version) return this.snapshot.items;
        const rows = (await table.query().select(['id', 'attributes_json']).toArray()) as Row[];
        const items = rows.map((r) => ({ id: String(r.id), attributes: JSON.parse(String(r.attributes_json)) as Attributes }));
        this.snapshot = { version, items };
        return items;
      },
      [],
    );
  }

  async facets(fields: string[], filters: NormalizedFilters): Promise<Facets> {
    const items = await this.metadata();
    return countFacets(items.map((i) => i.attributes), fields, filters);
  }

  /**
   * Every record in batches, read as Arrow record batches straight from one query (no offset paging, which would
   * read the table again for every page), vectors copied out of the batch's contiguous float buffer.
   */
  async *scan(options: { batchSize: number; withVector: boolean }): AsyncIterable<StoredRecord[]> {
    const table = await this.openTable();
    if (!table) return;
    try {
      yield* this.rowsOf(table.query().select(this.columnsRead(options.withVector)), options);
    } catch (e) {
      throw lanceError(e, 'scanning', this.dataDir);
    }
  }

  /** The records of these ids that exist, with their vectors (for the in-memory read path's catch-up). */
  async recordsById(ids: readonly string[]): Promise<StoredRecord[]> {
    return this.reading(
      'reading products by id',
      async (table) => {
        const out: StoredRecord[] = [];
        for (let i = 0; i < ids.length; i += 500) {
          const query = table.query().where(this.inList(ids.slice(i, i + 500))).select(this.columnsRead(true));
          for await (const batch of this.rowsOf(query, { batchSize: 500, withVector: true })) out.push(...batch);
        }
        return out;
      },
      [],
    );
  }

  /** id -> content hash of every record: two columns read, nothing parsed (the in-memory copy's catch-up). */
  async allContentHashes(): Promise<Map<string, string>> {
    return this.reading(
      'reading content hashes',
      async (table) => {
        const out = new Map<string, string>();
        for await (const batch of table.query().select(['id', 'content_hash']) as AsyncIterable<RecordBatch>) {
          const ids = batch.getChild('id')!.toArray() as string[];
          const hashes = batch.getChild('content_hash')!.toArray() as string[];
          for (let i = 0; i < ids.length; i++) out.set(ids[i], hashes[i]);
        }
        return out;
      },
      new Map<string, string>(),
    );
  }

  private columnsRead(withVector: boolean): string[] {
    return ['id', 'title', 'image_ref', 'content_hash', 'attributes_json', ...(withVector ? ['vector'] : [])];
  }

  private async *rowsOf(query: lancedb.Query, options: { batchSize: number; withVector: boolean }): AsyncIterable<StoredRecord[]> {
    let pending: StoredRecord[] = [];
    for await (const batch of query as AsyncIterable<RecordBatch>) {
      // Whole columns at once: per-row Vector.get() costs more than the rest of the load together.
      const [ids, titles, refs, hashes, attrs] = ['id', 'title', 'image_ref', 'content_hash', 'attributes_json'].map((name) => batch.getChild(name)!.toArray() as string[]);
      const vectors = options.withVector ? vectorRows(batch.getChild('vector')!) : null;
      for (let i = 0; i < batch.numRows; i++) {
        const record: StoredRecord = { id: ids[i], title: titles[i], imageRef: refs[i], contentHash: hashes[i], attributes: JSON.parse(attrs[i]) as Attributes };
        if (vectors) record.vector = vectors(i);
        pending.push(record);
        if (pending.length >= options.batchSize) {
          yield pending;
          pending = [];
        }
      }
    }
    if (pending.length > 0) yield pending;
  }

  /**
   * Compacts the fragments left by many small writes; run after an indexing run. Versions of the last
   * KEEP_OLD_VERSIONS_MS stay (readers in other processes may still be on them); older ones and their files go.
   */
  async optimize(): Promise<void> {
    const table = await this.openTable();
    if (!table) return;
    try {
      await this.keepingKnownIds(table, () => table.optimize({ cleanupOlderThan: new Date(Date.now() - KEEP_OLD_VERSIONS_MS) }));
    } catch (e) {
      throw lanceError(e, 'compacting the index', this.dataDir);
    }
    await this.recordChecksums();
  }

  /** Builds an approximate (HNSW-SQ, cosine) index for large catalogs; exact search stays the default without one. */
  async createAnnIndex(): Promise<void> {
    const table = await this.openTable();
    if (!table) return;
    try {
      // One HNSW graph per million rows: LanceDB recommends few partitions for HNSW, and each one probed costs a walk.
      const numPartitions = Math.max(1, Math.ceil((await table.countRows()) / 1_000_000));
      await this.keepingKnownIds(table, () => table.createIndex('vector', { config: lancedb.Index.hnswSq({ distanceType: 'cosine', numPartitions }), replace: true }));
    } catch (e) {
      throw lanceError(e, 'building the ANN index', this.dataDir);
    }
    await this.recordChecksums();
  }

  /**
   * The saved copy's file, and the fingerprint that keys it with the version: the manifest and the recorded file
   * checksums (which name every data file: LanceDB gives each new file a new random name), so that a table put in
   * place by hand at an equal version number does not match a copy of another.
   */
  savedCopy(): { file: CopyFile; fingerprint(): Promise<string> } {
    return {
      file: new CopyFile(path.join(this.dataDir, COPY_FILE)),
      fingerprint: async () => {
        const hash = createHash('sha256');
        for (const name of [MANIFEST_FILE, CHECKSUM_FILE]) {
          hash.update(`${name}\0`);
          hash.update(await readFile(path.join(this.dataDir, name)).catch(() => Buffer.from('missing')));
          hash.update('\0');
        }
        return hash.digest('hex');
      },
    };
  }

  searchSettings(): string {
    const { ef, nprobes, refineFactor } = LANCE_ANN;
    return `LanceDB exact; with an ANN index (vitrine index --ann): HNSW-SQ, ef ${ef}, nprobes ${nprobes}, refine x${refineFactor}`;
  }

  async version(): Promise<string> {
    const table = await this.openTable();
    return `${table ? await table.version() : 0}:${this.updatedAt}`;
  }

  async close(): Promise<void> {
    this.table?.close();
    this.db?.close();
  }
}

export class LanceVectorStore extends VectorStoreKernel {
  static async open(options: LanceStoreOptions): Promise<LanceVectorStore> {
    return new LanceVectorStore(new LanceDriver(path.resolve(options.dataDir)), { inMemory: options.inMemory }).load();
  }
}

export async function openLanceStore(options: LanceStoreOptions): Promise<LanceVectorStore> {
  return LanceVectorStore.open(options);
}
