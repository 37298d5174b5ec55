// The search page at `/`: the built bundle (dist/web) as static files, or a note saying how to build it.
import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where `npm run build` puts the page, beside this module's compiled folder. */
export const DEFAULT_WEB_DIR = path.resolve(import.meta.dirname, '../web');

export async function registerWebPage(app: FastifyInstance, webDir = DEFAULT_WEB_DIR): Promise<void> {
  if (existsSync(path.join(webDir, 'index.html'))) {
    await app.register(fastifyStatic, { root: webDir, prefix: '/', wildcard: false, index: 'index.html' });
    return;
  }
  app.get('/', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send('<!doctype html><title>Vitrine</title><p>The web page is not built (run <code>npm run build</code>). The API is at <a href="/docs">/docs</a>.</p>'),
  );
}
