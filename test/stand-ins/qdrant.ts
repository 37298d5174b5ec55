// A local stand-in for Qdrant's REST API: just the endpoints QdrantVectorStore (through @qdrant/js-client-rest)
// calls, in memory, with exact cosine search and the filter subset the adapter generates (must / must_not of
// match.value, match.any and has_id). Shapes follow Qdrant's OpenAPI schema: {result, status, time}.
import { HttpError, cosine, startStandIn, type StandIn, type StandInRequest, type StandInResponse } from './http-stand-in.js';

interface Point {
  id: string | number;
  vector: number[];
  payload: Record<string, unknown>;
}

interface Collection {
  size: number;
  distance: string;
  shardNumber: number;
  replicationFactor: number;
  metadata: Record<string, unknown>;
  indexes: Set<string>;
  points: Map<string, Point>;
}

type Condition = { key?: string; match?: { value?: unknown; any?: unknown[] }; has_id?: (string | number)[] };
type Filter = { must?: Condition[]; must_not?: Condition[]; should?: Condition[] };

function ok(result: unknown): StandInResponse {
  return { json: { result, status: 'ok', time: 0.0001 } };
}

function payloadValue(payload: Record<string, unknown>, key: string): unknown {
  return key.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), payload);
}

function conditionHolds(point: Point, c: Condition): boolean {
  if (c.has_id) return c.has_id.map(String).includes(String(point.id));
  if (c.key && c.match) {
    const v = payloadValue(point.payload, c.key);
    const values = Array.isArray(v) ? v : [v];
    if ('value' in c.match) return values.includes(c.match.value);
    if (c.match.any) return values.some((x) => c.match!.any!.includes(x));
  }
  throw new HttpError(400, `stand-in: unsupported condition ${JSON.stringify(c)}`);
}

function matches(point: Point, filter: Filter | undefined | null): boolean {
  if (!filter) return true;
  if (filter.must && !filter.must.every((c) => conditionHolds(point, c))) return false;
  if (filter.must_not && filter.must_not.some((c) => conditionHolds(point, c))) return false;
  if (filter.should && filter.should.length > 0 && !filter.should.some((c) => conditionHolds(point, c))) return false;
  return true;
}

function normalize(v: number[]): number[] {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return n === 0 ? v : v.map((x) => x / n);
}

export async function startQdrantStandIn(): Promise<StandIn & { collections: Map<string, Collection> }> {
  const collections = new Map<string, Collection>();
  const need = (name: string): Collection => {
    const c = collections.get(name);
    if (!c) throw new HttpError(404, `Not found: Collection \`${name}\` doesn't exist!`);
    return c;
  };
  const render = (p: Point, withPayload: unknown, withVector: unknown) => ({
    id: p.id,
    version: 0,
    ...(withPayload === false ? {} : { payload: p.payload }),
    ...(withVector ? { vector: p.vector } : {}),
  });

  const handle = (req: StandInRequest): StandInResponse => {
    const m = /^\/collections\/([^/]+)(\/.*)?$/.exec(req.path);
    if (!m) throw new HttpError(404, `stand-in: no route ${req.method} ${req.path}`);
    const name = decodeURIComponent(m[1]);
    const rest = m[2] ?? '';
    const route = `${req.method} ${rest}`;
    switch (route) {
      case 'GET /exists':
        return ok({ exists: collections.has(name) });
      case 'PUT ': {
        if (collections.has(name)) throw new HttpError(409, `Wrong input: Collection \`${name}\` already exists!`);
        const body = req.json();
        collections.set(name, {
          size: body.vectors.size,
          distance: body.vectors.distance,
          shardNumber: body.shard_number ?? 1,
          replicationFactor: body.replication_factor ?? 1,
          metadata: body.metadata ?? {},
          indexes: new Set(),
          points: new Map(),
        });
        return ok(true);
      }
      case 'GET ': {
        const c = need(name);
        return ok({
          status: 'green',
          optimizer_status: 'ok',
          points_count: c.points.size,
          indexed_vectors_count: 0,
          segments_count: 1,
          config: {
            params: { vectors: { size: c.size, distance: c.distance }, shard_number: c.shardNumber, replication_factor: c.replicationFactor },
            hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000 },
            optimizer_config: {},
            wal_config: {},
            metadata: c.metadata,
          },
          payload_schema: Object.fromEntries([...c.indexes].map((k) => [k, { data_type: 'keyword', points: c.points.size }])),
        });
      }
      case 'PATCH ': {
        const c = need(name);
        Object.assign(c.metadata, req.json().metadata ?? {});
        return ok(true);
      }
      case 'DELETE ':
        return ok(collections.delete(name));
      case 'PUT /index': {
        need(name).indexes.add(req.json().field_name);
        return ok({ operation_id: 0, status: 'completed' });
      }
      case 'PUT /points': {
        const c = need(name);
        for (const p of req.json().points as Point[]) {
          if (p.vector.length !== c.size) throw new HttpError(400, `Wrong input: Vector dimension error: expected dim: ${c.size}, got ${p.vector.length}`);
          c.points.set(String(p.id), { id: p.id, vector: c.distance === 'Cosine' ? normalize(p.vector) : p.vector, payload: p.payload ?? {} });
        }
        return ok({ operation_id: 1, status: 'completed' });
      }
      case 'POST /points/delete': {
        const c = need(name);
        for (const id of req.json().points as (string | number)[]) c.points.delete(String(id));
        return ok({ operation_id: 2, status: 'completed' });
      }
      case 'POST /points': {
        const c = need(name);
        const body = req.json();
        const found = (body.ids as (string | number)[]).map((id) => c.points.get(String(id))).filter((p): p is Point => p !== undefined);
        return ok(found.map((p) => render(p, body.with_payload, body.with_vector)));
      }
      case 'POST /points/query': {
        const c = need(name);
        const body = req.json();
        const scored = [...c.points.values()]
          .filter((p) => matches(p, body.filter))
          .map((p) => ({ p, score: cosine(p.vector, body.query) }))
          .filter((x) => body.score_threshold === undefined || x.score >= body.score_threshold)
          .sort((a, b) => b.score - a.score);
        const offset = body.offset ?? 0;
        return ok({ points: scored.slice(offset, offset + (body.limit ?? 10)).map((x) => ({ ...render(x.p, body.with_payload ?? false, body.with_vector), score: x.score })) });
      }
      case 'POST /points/count': {
        const c = need(name);
        const body = req.json();
        return ok({ count: [...c.points.values()].filter((p) => matches(p, body.filter)).length });
      }
      case 'POST /points/scroll': {
        const c = need(name);
        const body = req.json();
        const sorted = [...c.points.values()].filter((p) => matches(p, body.filter)).sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1));
        const start = body.offset === undefined || body.offset === null ? 0 : sorted.findIndex((p) => String(p.id) >= String(body.offset));
        const limit = body.limit ?? 10;
        const page = start < 0 ? [] : sorted.slice(start, start + limit);
        const next = start >= 0 && start + limit < sorted.length ? sorted[start + limit].id : null;
        return ok({ points: page.map((p) => render(p, body.with_payload ?? true, body.with_vector)), next_page_offset: next });
      }
      case 'POST /facet': {
        const c = need(name);
        const body = req.json();
        if (!c.indexes.has(body.key)) throw new HttpError(400, `Bad request: Index required but not found for "${body.key}" of one of the following types: [keyword]`);
        const counts = new Map<unknown, number>();
        for (const p of c.points.values()) {
          if (!matches(p, body.filter)) continue;
          const v = payloadValue(p.payload, body.key);
          if (v === undefined) continue;
          counts.set(v, (counts.get(v) ?? 0) + 1);
        }
        const hits = [...counts.entries()].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count);
        return ok({ hits: hits.slice(0, body.limit ?? 10) });
      }
      default:
        throw new HttpError(404, `stand-in: no route ${req.method} ${req.path}`);
    }
  };

  const standIn = await startStandIn(handle, (e) => ({
    status: e instanceof HttpError ? e.status : 500,
    json: { status: { error: e instanceof Error ? e.message : String(e) }, time: 0 },
  }));
  return Object.assign(standIn, { collections });
}
