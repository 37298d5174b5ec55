// The embedded default store: LanceDB tables under the data dir, exact (flat) cosine search by default, with an
// optional ANN index. Attribute fields become their own columns (attr_0, attr_1, ...) so filters run inside
// LanceDB as prefilters; the manifest beside the table maps field names to columns and records the model.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Schema, Utf8 } from 'apache-arrow';
import { AppError, errorMessage } from '../../errors/app-error.js';
import { countFacets, normalizeFilters, type NormalizedFilters } from '../../domain/filters.js';
import type { Attributes, Facets, Filters, IndexedRecord } from '../../domain/types.js';
import type { ModelManifest } from '../../model/embedder.js';
import { assertDimension, newAttributeFields } from './records.js';
import type { StoreManifest, StoredHit, StoredItem, VectorSearchOptions, VectorStore } from './vector-store.js';

const TABLE = 'products';
const MANIFEST_FILE = 'manifest.json';

interface LanceManifest extends StoreManifest {
  /** attribute field -> column name */
  columns: Record<string, string>;
}

export interface LanceStoreOptions {
  dataDir: string;
}

type Row = Record<string, unknown>;

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function reindexHint(dataDir: string): string {
  return `re-index with this model into a new data dir (vitrine index <catalog> --data <new dir> --model <model>), or delete ${dataDir} and index again`;
}

export function checkModelMatches(existing: ModelManifest, model: ModelManifest, dataDir: string): void {
  if (existing.hash !== model.hash || existing.dimension !== model.dimension) {
    throw new AppError(
      'MODEL_MISMATCH',
      `the index in ${dataDir} was built with model ${existing.id} (hash ${existing.hash.slice(0, 12)}, ${existing.dimension} dims), ` +
        `not ${model.id} (hash ${model.hash.slice(0, 12)}, ${model.dimension} dims): ${reindexHint(dataDir)}`,
      { details: { indexModel: existing.id, indexHash: existing.hash, model: model.id, modelHash: model.hash } },
    );
  }
}

export class LanceVectorStore implements VectorStore {
  private table: lancedb.Table | null = null;
  private manifest: LanceManifest | null = null;
  private snapshot: { version: number; items: { id: string; attributes: Attributes }[] } | null = null;

  private constructor(
    private readonly dataDir: string,
    private readonly db: lancedb.Connection,
  ) {}

  static async open(options: LanceStoreOptions): Promise<LanceVectorStore> {
    const dataDir = path.resolve(options.dataDir);
    let db: lancedb.Connection;
    try {
      await mkdir(dataDir, { recursive: true });
      // Re-check the table at most every second, so a server sees writes made by `vitrine index` in another process.
      db = await lancedb.connect(dataDir, { readConsistencyInterval: 1 });
    } catch (e) {
      throw new AppError('STORE_ERROR', `cannot open the data dir ${dataDir}: ${errorMessage(e)}`, { cause: e });
    }
    const store = new LanceVectorStore(dataDir, db);
    store.manifest = await store.loadManifest();
    await store.openTable();
    return store;
  }

  private async loadManifest(): Promise<LanceManifest | null> {
    try {
      return JSON.parse(await readFile(path.join(this.dataDir, MANIFEST_FILE), 'utf8')) as LanceManifest;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new AppError('STORE_ERROR', `${path.join(this.dataDir, MANIFEST_FILE)} is unreadable: ${errorMessage(e)}`, { cause: e });
    }
  }

  private async saveManifest(manifest: LanceManifest): Promise<void> {
    const file = path.join(this.dataDir, MANIFEST_FILE);
    await writeFile(`${file}.tmp`, JSON.stringify(manifest, null, 2));
    await rename(`${file}.tmp`, file);
    this.manifest = manifest;
  }

  async readManifest(): Promise<StoreManifest | null> {
    if (!this.manifest) return null;
    const { columns: _columns, ...rest } = this.manifest;
    return rest;
  }

  async bindModel(model: ModelManifest, attributeFields: string[]): Promise<StoreManifest> {
    const now = new Date().toISOString();
    if (this.manifest) checkModelMatches(this.manifest.model, model, this.dataDir);
    const manifest: LanceManifest = this.manifest
      ? { ...this.manifest, columns: { ...this.manifest.columns } }
      : { model, attributeFields: [], columns: {}, metric: 'cosine', normalized: true, createdAt: now, updatedAt: now };
    const added = attributeFields.filter((f) => !(f in manifest.columns));
    let next = Object.keys(manifest.columns).length;
    for (const field of added) manifest.columns[field] = `attr_${next++}`;
    manifest.attributeFields = Object.keys(manifest.columns);
    if (added.length > 0 && this.table) {
      await this.table.addColumns(added.map((f) => ({ name: manifest.columns[f], valueSql: 'CAST(NULL AS STRING)' })));
    }
    if (added.length > 0 || !this.manifest) {
      manifest.updatedAt = now;
      await this.saveManifest(manifest);
    }
    return (await this.readManifest())!;
  }

  /** The table, opened late if another process created it after this store was opened. */
  private async openTable(): Promise<lancedb.Table | null> {
    if (!this.table && (await this.db.tableNames()).includes(TABLE)) {
      try {
        this.table = await this.db.openTable(TABLE);
      } catch {
        // Another process is creating the table right now (its first version is not committed yet).
        return null;
      }
      this.manifest = (await this.loadManifest()) ?? this.manifest;
    }
    return this.table;
  }

  private requireManifest(): LanceManifest {
    if (!this.manifest) throw new AppError('STORE_ERROR', `the data dir ${this.dataDir} holds no index yet: run vitrine index first`);
    return this.manifest;
  }

  private schema(manifest: LanceManifest): Schema {
    return new Schema([
      new Field('id', new Utf8(), false),
      new Field('title', new Utf8(), false),
      new Field('image_ref', new Utf8(), false),
      new Field('content_hash', new Utf8(), false),
      new Field('attributes_json', new Utf8(), false),
      ...Object.values(manifest.columns).map((c) => new Field(c, new Utf8(), true)),
      new Field('vector', new FixedSizeList(manifest.model.dimension, new Field('item', new Float32(), true)), false),
    ]);
  }

  private toRow(manifest: LanceManifest, r: IndexedRecord): Row {
    const row: Row = {
      id: r.id,
      title: r.title,
      image_ref: r.imageRef,
      content_hash: r.contentHash,
      attributes_json: JSON.stringify(r.attributes),
      vector: Array.from(r.vector),
    };
    for (const [field, column] of Object.entries(manifest.columns)) row[column] = r.attributes[field] ?? null;
    return row;
  }

  private inList(ids: string[]): string {
    return `id IN (${ids.map(sqlString).join(', ')})`;
  }

  async upsert(records: IndexedRecord[]): Promise<void> {
    if (records.length === 0) return;
    const manifest = this.requireManifest();
    const unknown = newAttributeFields(records, (f) => f in manifest.columns);
    if (unknown.length > 0) await this.bindModel(manifest.model, unknown);
    const m = this.requireManifest();
    assertDimension(records, m.model.dimension);
    const data = lancedb.makeArrowTable(records.map((r) => this.toRow(m, r)), { schema: this.schema(m) });
    try {
      if (!this.table) {
        this.table = await this.db.createTable(TABLE, data);
      } else {
        const existing = await this.table.countRows(this.inList(records.map((r) => r.id)));
        if (existing === 0) await this.table.add(data);
        else await this.table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(data);
      }
    } catch (e) {
      throw new AppError('STORE_ERROR', `writing ${records.length} records failed: ${errorMessage(e)}`, { cause: e });
    }
    this.snapshot = null;
  }

  async delete(ids: string[]): Promise<number> {
    if (!this.table || ids.length === 0) return 0;
    const before = await this.table.countRows();
    await this.table.delete(this.inList(ids));
    this.snapshot = null;
    return before - (await this.table.countRows());
  }

  async contentHashes(ids: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (!this.table || ids.length === 0) return out;
    for (let i = 0; i < ids.length; i += 500) {
      const rows = (await this.table.query().where(this.inList(ids.slice(i, i + 500))).select(['id', 'content_hash']).toArray()) as Row[];
      for (const r of rows) out.set(String(r.id), String(r.content_hash));
    }
    return out;
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

  async get(id: string, options: { withVector?: boolean } = {}): Promise<(StoredItem & { vector?: Float32Array }) | null> {
    const table = await this.openTable();
    if (!table) return null;
    const rows = (await table.query().where(`id = ${sqlString(id)}`).limit(1).toArray()) as Row[];
    if (rows.length === 0) return null;
    const item: StoredItem & { vector?: Float32Array } = this.rowToItem(rows[0]);
    if (options.withVector) item.vector = Float32Array.from(rows[0].vector as Iterable<number>);
    return item;
  }

  private whereSql(filters: NormalizedFilters, excludeIds: string[] = []): string | undefined {
    const m = this.requireManifest();
    const clauses: string[] = [];
    for (const [field, values] of filters) {
      clauses.push(`${m.columns[field]} IN (${values.map(sqlString).join(', ')})`);
    }
    if (excludeIds.length > 0) clauses.push(`NOT (${this.inList(excludeIds)})`);
    return clauses.length > 0 ? clauses.join(' AND ') : undefined;
  }

  normalize(filters?: Filters): NormalizedFilters {
    return normalizeFilters(filters, this.manifest?.attributeFields ?? []);
  }

  async search(options: VectorSearchOptions): Promise<StoredHit[]> {
    // An empty data dir has nothing to find: an empty answer, not an error.
    if (!this.manifest) return [];
    const manifest = this.manifest;
    if (options.vector.length !== manifest.model.dimension) {
      throw new AppError('MODEL_MISMATCH', `query vector has ${options.vector.length} dims; the index has ${manifest.model.dimension}`);
    }
    const filters = this.normalize(options.filters);
    const table = await this.openTable();
    if (!table) return [];
    const offset = options.offset ?? 0;
    let query = table.vectorSearch(Array.from(options.vector)).distanceType('cosine').limit(offset + options.k);
    const where = this.whereSql(filters, options.excludeIds);
    if (where) query = query.where(where);
    let rows: Row[];
    try {
      rows = (await query.select(['id', 'title', 'image_ref', 'content_hash', 'attributes_json', '_distance']).toArray()) as Row[];
    } catch (e) {
      throw new AppError('STORE_ERROR', `vector search failed: ${errorMessage(e)}`, { cause: e });
    }
    const minScore = options.minScore ?? -Infinity;
    return rows
      .map((r) => ({ ...this.rowToItem(r), score: 1 - Number(r._distance) }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(offset, offset + options.k)
      .filter((h) => h.score >= minScore)
      .map(({ contentHash: _hash, ...hit }) => hit);
  }

  async count(filters?: Filters): Promise<number> {
    const table = await this.openTable();
    if (!table) return 0;
    const where = this.manifest ? this.whereSql(this.normalize(filters)) : undefined;
    return table.countRows(where);
  }

  /** id and attributes of every product, cached until the table changes; backs facet counts. */
  private async metadata(): Promise<{ id: string; attributes: Attributes }[]> {
    const table = await this.openTable();
    if (!table) return [];
    const version = await table.version();
    if (this.snapshot?.version === version) return this.snapshot.items;
    const rows = (await table.query().select(['id', 'attributes_json']).toArray()) as Row[];
    const items = rows.map((r) => ({ id: String(r.id), attributes: JSON.parse(String(r.attributes_json)) as Attributes }));
    this.snapshot = { version, items };
    return items;
  }

  async facets(fields: string[], filters?: Filters): Promise<Facets> {
    const known = this.manifest?.attributeFields ?? [];
    normalizeFilters(Object.fromEntries(fields.map((f) => [f, []])), known);
    const items = await this.metadata();
    return countFacets(items.map((i) => i.attributes), fields, this.normalize(filters));
  }

  async *scan(options: { batchSize: number; withVector: boolean }): AsyncIterable<(StoredItem & { vector?: Float32Array })[]> {
    const table = await this.openTable();
    if (!table) return;
    const total = await table.countRows();
    const columns = ['id', 'title', 'image_ref', 'content_hash', 'attributes_json', ...(options.withVector ? ['vector'] : [])];
    for (let offset = 0; offset < total; offset += options.batchSize) {
      const rows = (await table.query().select(columns).offset(offset).limit(options.batchSize).toArray()) as Row[];
      yield rows.map((r) => {
        const item: StoredItem & { vector?: Float32Array } = this.rowToItem(r);
        if (options.withVector) item.vector = Float32Array.from(r.vector as Iterable<number>);
        return item;
      });
    }
  }

  /** Compacts the fragments left by many small writes; run after an indexing run. */
  async optimize(): Promise<void> {
    if (this.table) await this.table.optimize({ cleanupOlderThan: new Date() });
  }

  /** Builds an approximate (HNSW-SQ, cosine) index for large catalogs; exact search stays the default without one. */
  async createAnnIndex(): Promise<void> {
    const table = await this.openTable();
    if (!table) return;
    await table.createIndex('vector', { config: lancedb.Index.hnswSq({ distanceType: 'cosine' }), replace: true });
  }

  async version(): Promise<string> {
    await this.openTable();
    return `${this.table ? await this.table.version() : 0}:${this.manifest?.updatedAt ?? ''}`;
  }

  async close(): Promise<void> {
    this.table?.close();
    this.db.close();
  }
}

export async function openLanceStore(options: LanceStoreOptions): Promise<LanceVectorStore> {
  return LanceVectorStore.open(options);
}
