// GET /metrics: the Prometheus exposition of this process's registry.
import type { RouteSpec } from '../route.js';

export const metricsRoute: RouteSpec = {
  method: 'GET',
  url: '/metrics',
  access: 'metrics',
  doc: () => ({
    summary: 'Prometheus metrics: requests, latency per route and query stage, cache hits, index size, process',
    responses: { 200: { description: 'text/plain exposition format', mediaType: 'text/plain' } },
  }),
  handler: ({ metrics }) => async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
};
