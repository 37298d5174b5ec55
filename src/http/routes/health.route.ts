// Liveness and readiness for orchestrators: /healthz answers as soon as the process listens; /readyz once
// the model is loaded and the store answers.
import { HealthSchema, ReadinessSchema, type ErrorBody, type Health, type Readiness } from '../../api/status.schema.js';
import type { RouteSpec } from '../route.js';

export const healthRoutes: RouteSpec[] = [
  {
    method: 'GET',
    url: '/healthz',
    doc: () => ({ summary: 'Liveness: the process answers', responses: { 200: { description: 'ok', schema: HealthSchema } } }),
    handler: () => async (): Promise<Health> => ({ status: 'ok' }),
  },
  {
    method: 'GET',
    url: '/readyz',
    doc: () => ({ summary: 'Readiness: model loaded and store open', responses: { 200: { description: 'ready', schema: ReadinessSchema } }, errors: [503] }),
    handler: ({ current }) =>
      async (_request, reply) => {
        const ctx = current();
        const unready = (body: ErrorBody) => reply.status(503).send(body);
        if (!ctx) return unready({ code: 'NOT_READY', message: 'loading model and index' });
        try {
          const count = await ctx.store.count();
          const manifest = ctx.embedder.manifest;
          const reads = ctx.store.readState?.();
          const search: Readiness['search'] = reads ? { mode: reads.mode, ...(reads.ann ? { ann: reads.ann } : {}) } : { mode: 'store' };
          const ready: Readiness = { status: 'ready', model: manifest.id, modelHash: manifest.hash, dimension: manifest.dimension, count, search };
          return ready;
        } catch {
          return unready({ code: 'STORE_ERROR', message: 'the vector store does not answer' });
        }
      },
  },
];
