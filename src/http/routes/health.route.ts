// Liveness and readiness for orchestrators: /healthz answers as soon as the process listens; /readyz once
// the model is loaded and the store answers. A never-indexed store is ready too (status `empty`), so that a
// server behind a readiness probe can be filled through the write API; a store that fails, or an index that is
// damaged, is not ready (503 with the code that says which).
import { HealthSchema, ReadinessSchema, type Health, type Readiness } from '../../api/status.schema.js';
import { isAppError } from '../../errors/app-error.js';
import { sendError } from '../error-handler.js';
import type { RouteSpec } from '../route.js';

export const healthRoutes: RouteSpec[] = [
  {
    method: 'GET',
    url: '/healthz',
    access: 'health',
    doc: () => ({ summary: 'Liveness: the process answers', responses: { 200: { description: 'ok', schema: HealthSchema } } }),
    handler: () => async (): Promise<Health> => ({ status: 'ok' }),
  },
  {
    method: 'GET',
    url: '/readyz',
    access: 'health',
    doc: () => ({
      summary: 'Readiness: model loaded and store answering (status `empty` for a store never indexed)',
      responses: { 200: { description: 'ready or empty', schema: ReadinessSchema } },
      errors: [503],
    }),
    handler: ({ current, startupError }) =>
      async (request, reply) => {
        const ctx = current();
        if (!ctx) {
          const failed = startupError();
          if (failed) return sendError(reply, failed.code, failed.message);
          return sendError(reply, 'NOT_READY', 'loading model and index');
        }
        try {
          const state = await ctx.indexState();
          const manifest = ctx.embedder.manifest;
          const reads = ctx.store.readState?.();
          const settings = ctx.store.searchSettings?.();
          const search: Readiness['search'] = reads
            ? { mode: reads.mode, ...(reads.ann ? { ann: reads.ann } : {}) }
            : { mode: 'store', ...(settings ? { ann: settings } : {}) };
          const ready: Readiness = { status: state.status, model: manifest.id, modelHash: manifest.hash, dimension: manifest.dimension, count: state.count, search };
          return ready;
        } catch (e) {
          request.log.warn({ err: e }, 'not ready: the store fails');
          if (isAppError(e) && e.code === 'INDEX_CORRUPT') return sendError(reply, 'INDEX_CORRUPT', 'the index is damaged: run vitrine verify on the server');
          return sendError(reply, 'STORE_ERROR', 'the vector store does not answer');
        }
      },
  },
];
