// What a route file declares: its method and path, its OpenAPI operation (from the wire schemas), and a
// handler factory over the narrow dependencies it needs. buildApp registers the list and the OpenAPI
// document is generated from the same list, so a route cannot go undocumented.
import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import type { z } from 'zod';
import type { ApiLimits } from '../api/limits.schema.js';
import type { Config } from '../config/config.js';
import type { RouteAccess } from './access.js';
import type { AppContext } from '../context.js';
import type { AppError } from '../errors/app-error.js';
import type { Metrics } from '../observability/metrics.js';

/** What route handlers may use. Each route takes only what it needs from here. */
export interface RouteDeps {
  /** The loaded context; throws NOT_READY while the model and index are still loading. */
  ready(): AppContext;
  /** The context, or null while loading (for readiness). */
  current(): AppContext | null;
  /** Why the context is not built yet, while the server keeps trying (a store that does not answer); else null. */
  startupError(): AppError | null;
  metrics: Metrics;
  limits: ApiLimits;
  /** The server's configuration (limits and access rules beyond the search limits). */
  config: Config;
  /** The OpenAPI document of this app (its limits come from config). */
  openApiDocument(): unknown;
}

export interface ResponseDoc {
  description: string;
  /** JSON body shape; leave out for non-JSON answers. */
  schema?: z.ZodType;
  /** Media type of a non-JSON answer (`text/html`, `image/*`). */
  mediaType?: string;
}

/** One OpenAPI operation, in terms of the wire schemas. */
export interface OperationDoc {
  summary: string;
  /** Query-string parameters: one per field of the object. */
  query?: z.ZodObject;
  /** Path parameters: one per field of the object. */
  params?: z.ZodObject;
  /** Request body, by media type. */
  body?: { json?: z.ZodType; form?: z.ZodType };
  /** 2xx and 3xx answers by status. */
  responses: Record<number, ResponseDoc>;
  /** Statuses that answer with the error body. */
  errors?: number[];
}

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Fastify path syntax (`/api/products/:id`); the document writes `{id}`. */
  url: string;
  /** What the route is, for access rules (which need an API key) and rate limits (health probes have none). */
  access: RouteAccess;
  /** Largest body this route reads, when it differs from the server's (config maxJsonBytes). */
  bodyLimit?(config: Config): number;
  doc(limits: ApiLimits): OperationDoc;
  handler(deps: RouteDeps): RouteHandlerMethod;
}

export function registerRoutes(app: FastifyInstance, routes: readonly RouteSpec[], deps: RouteDeps): void {
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      handler: route.handler(deps),
      config: { access: route.access },
      ...(route.bodyLimit ? { bodyLimit: route.bodyLimit(deps.config) } : {}),
    });
  }
}
