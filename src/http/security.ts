// Security headers on every answer (@fastify/helmet) and CORS only for the origins config names (@fastify/cors;
// none by default, so browsers on other sites cannot call the API with a shopper's cookies or read its answers).
// The content security policy fits the search page: its own scripts and styles, photos from the catalog's own
// hosts (http(s)), dropped photos as blob: URLs. No HSTS and no upgrade-insecure-requests: TLS is the proxy's
// business, and a server reached over plain http on a LAN would otherwise break its own page.
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

export interface SecurityOptions {
  /** Origins allowed by CORS; `*` allows any; empty turns CORS off. */
  corsOrigins: readonly string[];
}

export async function registerSecurity(app: FastifyInstance, options: SecurityOptions): Promise<void> {
  await app.register(helmet, {
    hsts: false,
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'img-src': ["'self'", 'data:', 'blob:', 'https:', 'http:'],
        'upgrade-insecure-requests': null,
      },
    },
    // The page shows photos from catalog hosts and buckets, which send no CORP header of their own.
    crossOriginEmbedderPolicy: false,
  });
  if (options.corsOrigins.length > 0) {
    const any = options.corsOrigins.includes('*');
    await app.register(cors, {
      origin: any ? '*' : [...options.corsOrigins],
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['content-type', 'authorization', 'x-api-key', 'x-request-id'],
      exposedHeaders: ['x-request-id', 'retry-after'],
      maxAge: 600,
    });
  }
}
