// Starts the HTTP service: listens at once (so /healthz answers and /readyz says "loading"), then loads the
// model and opens the store. Stops cleanly on SIGINT/SIGTERM.
import type { FastifyInstance } from 'fastify';
import { tracingFromEnv, type Config } from '../config/config.js';
import { buildContext, type AppContext } from '../context.js';
import { buildApp } from './app.js';
import { createMetrics } from '../observability/metrics.js';
import { startTracing } from '../observability/tracing.js';

export interface StartServerOptions {
  config: Config;
  /** Log to stdout as JSON lines (pino); false for silence. */
  log?: boolean;
}

export async function startServer(options: StartServerOptions): Promise<{ app: FastifyInstance; context: Promise<AppContext>; url: string }> {
  const { config } = options;
  let ctx: AppContext | null = null;
  const tracing = await startTracing({ settings: tracingFromEnv() });
  const metrics = createMetrics({ indexSize: async () => (ctx ? ctx.store.count() : 0) });
  const app = await buildApp({
    metrics,
    context: () => ctx,
    config,
    logger: options.log === false ? false : { level: config.logLevel },
  });
  const url = await app.listen({ port: config.port, host: config.host });
  const context = buildContext(config, { metrics }).then((c) => {
    ctx = c;
    app.log.info({ model: c.embedder.manifest.id, dimension: c.embedder.manifest.dimension, dataDir: config.dataDir }, 'ready');
    return c;
  });
  const stop = async () => {
    await app.close();
    await ctx?.close();
    await tracing.shutdown().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return { app, context, url };
}
