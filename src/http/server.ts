// Starts the HTTP service: listens at once (so /healthz answers and /readyz says "loading"), then loads the
// model and opens the store. A store that does not answer yet (a database still starting) is retried with backoff
// while /readyz reports it; only what retrying cannot mend (no model, another model's index, a damaged index) ends
// the process. Stops cleanly on SIGINT/SIGTERM: requests in flight get shutdownGraceSeconds to finish, then the
// connections still open (slow clients included) are closed.
import type { FastifyInstance } from 'fastify';
import { tracingFromEnv, type Config } from '../config/config.js';
import { buildContext, type AppContext } from '../context.js';
import { isAppError, type AppError } from '../errors/app-error.js';
import { buildApp } from './app.js';
import { createMetrics } from '../observability/metrics.js';
import { startTracing } from '../observability/tracing.js';

export interface StartServerOptions {
  config: Config;
  /** Log to stdout as JSON lines (pino); false for silence. */
  log?: boolean;
}

/** Backoff between attempts to open a store that does not answer: 1 s doubling to 30 s. */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;

export async function startServer(options: StartServerOptions): Promise<{ app: FastifyInstance; context: Promise<AppContext>; url: string }> {
  const { config } = options;
  let ctx: AppContext | null = null;
  let startupError: AppError | null = null;
  let stopping = false;
  const tracing = await startTracing({ settings: tracingFromEnv() });
  const metrics = createMetrics({ indexSize: async () => (ctx ? ctx.store.count() : 0) });
  const app = await buildApp({
    metrics,
    context: () => ctx,
    startupError: () => startupError,
    config,
    logger: options.log === false ? false : { level: config.logLevel },
  });
  const url = await app.listen({ port: config.port, host: config.host });
  const context = (async () => {
    for (let delay = RETRY_FIRST_MS; ; delay = Math.min(RETRY_MAX_MS, delay * 2)) {
      try {
        ctx = await buildContext(config, { metrics });
        startupError = null;
        app.log.info({ model: ctx.embedder.manifest.id, dimension: ctx.embedder.manifest.dimension, dataDir: config.dataDir }, 'ready');
        return ctx;
      } catch (e) {
        if (!isAppError(e) || e.code !== 'STORE_ERROR' || stopping) throw e;
        startupError = e;
        app.log.warn({ err: e, retryInMs: delay }, 'the store does not answer yet; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  })();
  const stop = async () => {
    stopping = true;
    const force = setTimeout(() => app.server.closeAllConnections(), config.shutdownGraceSeconds * 1000);
    force.unref();
    await app.close();
    clearTimeout(force);
    await ctx?.close();
    await tracing.shutdown().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return { app, context, url };
}
