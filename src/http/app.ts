// buildApp returns the Fastify app without listening (tests use inject()); server.ts listens. It only
// assembles: server limits (body sizes, header and body timeouts), security headers and CORS, request hooks, API keys
// and rate limits, body parsing, the one error handler, the routes (src/http/routes, each with its schemas from
// src/api) and the web page.
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { ConfigSchema, type Config } from '../config/config.js';
import type { AppContext } from '../context.js';
import { AppError } from '../errors/app-error.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { registerAccess } from './access.js';
import { apiLimits } from './api-limits.js';
import { registerContentTypes } from './content-types.js';
import { installErrorHandling } from './error-handler.js';
import { registerJsonBody } from './json-body.js';
import { buildOpenApiDocument } from './openapi.js';
import { installRequestHooks } from './request-hooks.js';
import { registerRoutes } from './route.js';
import { ROUTES } from './routes/route-list.js';
import { registerSecurity } from './security.js';
import { registerWebPage } from './web-page.js';

export interface BuildAppOptions {
  /** The loaded context, or a getter that returns null while the model is still loading. */
  context: AppContext | (() => AppContext | null);
  /** Why the context is not there yet while the server keeps trying (e.g. the store does not answer). */
  startupError?: () => AppError | null;
  /** The config the limits come from; defaults to the context's (or the defaults while loading). */
  config?: Config;
  /** pino options or false. */
  logger?: boolean | Record<string, unknown>;
  /** Built web page folder served at `/`; defaults to dist/web of the package. */
  webDir?: string;
  /** Largest photo upload; defaults to the config's. */
  maxUploadBytes?: number;
  /** Metrics registry served at /metrics; defaults to the context's. */
  metrics?: Metrics;
}

/**
 * How often Node looks for requests past their header or body timeout. Its default (30 s) would let a slow client
 * hold a connection up to 30 s longer than the timeout says.
 */
const TIMEOUT_CHECK_MS = 1000;

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const loaded = typeof options.context === 'function' ? null : options.context;
  const current = typeof options.context === 'function' ? options.context : () => loaded;
  const config = options.config ?? loaded?.config ?? ConfigSchema.parse({});
  const limits = apiLimits({ ...config, maxUploadBytes: options.maxUploadBytes ?? config.maxUploadBytes });
  const metrics = options.metrics ?? loaded?.metrics ?? createMetrics({ processMetrics: false });

  const requestTimeout = config.requestTimeoutSeconds * 1000;
  const app = Fastify({
    logger: options.logger ?? false,
    // Every route takes at most a search's JSON; routes that take more (the write API's batches) say so.
    bodyLimit: config.maxJsonBytes,
    requestTimeout,
    http: { headersTimeout: Math.min(config.headersTimeoutSeconds * 1000, requestTimeout), requestTimeout, connectionsCheckingInterval: TIMEOUT_CHECK_MS },
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // One log line per request, written by the request hooks, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
  });
  await registerSecurity(app, { corsOrigins: config.corsOrigins });
  installRequestHooks(app, { metrics, logQueries: config.logQueries });
  await registerAccess(app, config);
  registerJsonBody(app, { maxDepth: config.maxJsonDepth });
  await registerContentTypes(app, { maxUploadBytes: limits.maxUploadBytes });
  installErrorHandling(app, { maxUploadBytes: limits.maxUploadBytes });

  let document: unknown;
  registerRoutes(app, ROUTES, {
    current,
    startupError: options.startupError ?? (() => null),
    ready() {
      const ctx = current();
      if (!ctx) throw options.startupError?.() ?? new AppError('NOT_READY', 'the model and index are still loading; retry shortly');
      return ctx;
    },
    metrics,
    limits,
    config,
    openApiDocument: () => (document ??= buildOpenApiDocument(ROUTES, limits)),
  });
  await registerWebPage(app, options.webDir);
  return app;
}
