// A local stand-in for Pinecone's REST API (control plane + data plane of serverless indexes): just what
// PineconeVectorStore calls through @pinecone-database/pinecone, in memory, with exact cosine search and the
// metadata filter subset the adapter generates ($and, $in, $nin, $eq, $ne and bare equality).
// Each index's data plane is served under /data/<index>, the host the control plane reports for it.
import { HttpError, cosine, startStandIn, type StandIn, type StandInRequest, type StandInResponse } from './http-stand-in.js';

type Metadata = Record<string, string | number | boolean | string[]>;
interface PineconeRecord {
  id: string;
  values: number[];
  metadata?: Metadata;
}
interface StandInIndex {
  name: string;
  dimension: number;
  metric: string;
  cloud: string;
  region: string;
  namespaces: Map<string, Map<string, PineconeRecord>>;
}

function fieldMatches(value: unknown, condition: unknown): boolean {
  if (condition === null || typeof condition !== 'object' || Array.isArray(condition)) return value === condition;
  return Object.entries(condition as Record<string, unknown>).every(([op, arg]) => {
    const values = Array.isArray(value) ? value : [value];
    switch (op) {
      case '$eq':
        return values.includes(arg);
      case '$ne':
        return !values.includes(arg);
      case '$in':
        return values.some((v) => (arg as unknown[]).includes(v));
      case '$nin':
        return !values.some((v) => (arg as unknown[]).includes(v));
      default:
        throw new HttpError(400, `stand-in: unsupported filter operator ${op}`);
    }
  });
}

export function matchesFilter(metadata: Metadata | undefined, filter: Record<string, unknown> | undefined): boolean {
  if (!filter) return true;
  return Object.entries(filter).every(([key, condition]) => {
    if (key === '$and') return (condition as Record<string, unknown>[]).every((f) => matchesFilter(metadata, f));
    if (key === '$or') return (condition as Record<string, unknown>[]).some((f) => matchesFilter(metadata, f));
    return fieldMatches(metadata?.[key], condition);
  });
}

function notFound(what: string): HttpError {
  return new HttpError(404, what);
}

export async function startPineconeStandIn(): Promise<StandIn & { indexes: Map<string, StandInIndex> }> {
  const indexes = new Map<string, StandInIndex>();
  let baseUrl = '';
  const describe = (ix: StandInIndex) => ({
    name: ix.name,
    dimension: ix.dimension,
    metric: ix.metric,
    host: `${baseUrl}/data/${ix.name}`,
    deletion_protection: 'disabled',
    spec: { serverless: { cloud: ix.cloud, region: ix.region } },
    status: { ready: true, state: 'Ready' },
    vector_type: 'dense',
  });
  const namespace = (ix: StandInIndex, ns: string | undefined | null) => {
    const name = ns ?? '';
    if (!ix.namespaces.has(name)) ix.namespaces.set(name, new Map());
    return ix.namespaces.get(name)!;
  };

  const handle = (req: StandInRequest): StandInResponse => {
    const control = /^\/indexes(?:\/([^/]+))?$/.exec(req.path);
    if (control) {
      const name = control[1] ? decodeURIComponent(control[1]) : undefined;
      if (req.method === 'POST' && !name) {
        const body = req.json();
        if (indexes.has(body.name)) throw new HttpError(409, `Resource ${body.name} already exists`);
        const ix: StandInIndex = {
          name: body.name,
          dimension: body.dimension,
          metric: body.metric ?? 'cosine',
          cloud: body.spec?.serverless?.cloud ?? 'aws',
          region: body.spec?.serverless?.region ?? 'us-east-1',
          namespaces: new Map(),
        };
        indexes.set(ix.name, ix);
        return { status: 201, json: describe(ix) };
      }
      const ix = name ? indexes.get(name) : undefined;
      if (!ix) throw notFound(`Resource ${name} not found`);
      if (req.method === 'GET') return { json: describe(ix) };
      if (req.method === 'DELETE') {
        indexes.delete(ix.name);
        return { status: 202, body: '' };
      }
    }
    const data = /^\/data\/([^/]+)(\/.*)$/.exec(req.path);
    if (!data) throw notFound(`stand-in: no route ${req.method} ${req.path}`);
    const ix = indexes.get(decodeURIComponent(data[1]));
    if (!ix) throw notFound(`index ${data[1]} not found`);
    switch (`${req.method} ${data[2]}`) {
      case 'POST /vectors/upsert': {
        const body = req.json();
        const ns = namespace(ix, body.namespace);
        for (const v of body.vectors as PineconeRecord[]) {
          if (v.values.length !== ix.dimension) throw new HttpError(400, `Vector dimension ${v.values.length} does not match the dimension of the index ${ix.dimension}`);
          if (v.metadata && Buffer.byteLength(JSON.stringify(v.metadata)) > 40_960) throw new HttpError(400, `Metadata size exceeds the limit of 40960 bytes per vector`);
          ns.set(v.id, { id: v.id, values: v.values, metadata: v.metadata });
        }
        return { json: { upsertedCount: body.vectors.length } };
      }
      case 'POST /query': {
        const body = req.json();
        const ns = namespace(ix, body.namespace);
        const matches = [...ns.values()]
          .filter((r) => matchesFilter(r.metadata, body.filter))
          .map((r) => ({ r, score: cosine(r.values, body.vector) }))
          .sort((a, b) => b.score - a.score)
          .slice(0, body.topK)
          .map(({ r, score }) => ({
            id: r.id,
            score,
            values: body.includeValues ? r.values : [],
            ...(body.includeMetadata && r.metadata ? { metadata: r.metadata } : {}),
          }));
        return { json: { matches, namespace: body.namespace ?? '', usage: { readUnits: 1 } } };
      }
      case 'GET /vectors/fetch': {
        const ns = namespace(ix, req.query.get('namespace'));
        const vectors: Record<string, PineconeRecord> = {};
        for (const id of req.query.getAll('ids')) {
          const r = ns.get(id);
          if (r) vectors[id] = r;
        }
        return { json: { vectors, namespace: req.query.get('namespace') ?? '', usage: { readUnits: 1 } } };
      }
      case 'GET /vectors/list': {
        const ns = namespace(ix, req.query.get('namespace'));
        const prefix = req.query.get('prefix') ?? '';
        const limit = Math.min(100, Number(req.query.get('limit') ?? 100));
        const ids = [...ns.keys()].filter((id) => id.startsWith(prefix)).sort();
        const start = Number(req.query.get('paginationToken') ?? 0);
        const page = ids.slice(start, start + limit);
        return {
          json: {
            vectors: page.map((id) => ({ id })),
            ...(start + limit < ids.length ? { pagination: { next: String(start + limit) } } : {}),
            namespace: req.query.get('namespace') ?? '',
            usage: { readUnits: 1 },
          },
        };
      }
      case 'POST /vectors/delete': {
        const body = req.json();
        const ns = namespace(ix, body.namespace);
        if (body.deleteAll) ns.clear();
        for (const id of body.ids ?? []) ns.delete(id);
        return { json: {} };
      }
      case 'POST /describe_index_stats': {
        const namespaces = Object.fromEntries([...ix.namespaces.entries()].filter(([, m]) => m.size > 0).map(([name, m]) => [name, { vectorCount: m.size }]));
        const total = [...ix.namespaces.values()].reduce((n, m) => n + m.size, 0);
        return { json: { namespaces, dimension: ix.dimension, indexFullness: 0, totalVectorCount: total, metric: ix.metric, vectorType: 'dense' } };
      }
      default:
        throw notFound(`stand-in: no route ${req.method} ${req.path}`);
    }
  };

  const standIn = await startStandIn(handle, (e) => {
    const status = e instanceof HttpError ? e.status : 500;
    return { status, json: { error: { code: status === 404 ? 'NOT_FOUND' : 'INVALID_ARGUMENT', message: e instanceof Error ? e.message : String(e) }, status } };
  });
  baseUrl = standIn.url;
  return Object.assign(standIn, { indexes });
}
