// What every request gets, whatever its route: a tracing span named after the route (carrying the request
// id), one log line and the request metrics when it ends, and the request id echoed in a header. Hooks
// that apply to all routes (auth, rate limits) belong beside these.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from '../observability/metrics.js';
import { inSpan } from '../observability/tracing.js';

export interface RequestHookOptions {
  metrics: Metrics;
  /** Log the query string too (the seed routes carry the shopper's query text in it); off by default. */
  logQueries: boolean;
}

/** Must run before the routes are added: it wraps each handler as the route is registered. */
export function installRequestHooks(app: FastifyInstance, options: RequestHookOptions): void {
  const { metrics, logQueries } = options;
  app.addHook('onRoute', (route) => {
    const handler = route.handler;
    const name = `${route.method} ${route.url}`;
    route.handler = function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
      return inSpan(name, { 'http.request.method': String(request.method), 'http.route': route.url, 'vitrine.request_id': request.id }, async (span) => {
        try {
          return await handler.call(this, request, reply);
        } finally {
          span.setAttribute('http.response.status_code', reply.statusCode);
        }
      });
    } as typeof route.handler;
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ route, method: request.method, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ route, method: request.method }, reply.elapsedTime / 1000);
    request.log.info(
      { method: request.method, url: logQueries ? request.url : request.url.split('?')[0], route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 },
      'request',
    );
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
}
