// Who may call what, and how often. Every route says what it is (read, write, metrics, docs, health); config says
// which of those need an API key (the write API always; reads, /metrics and /docs when configured). A key comes as
// `Authorization: Bearer <key>` or `x-api-key`, is matched against config's hashes in constant time, and carries
// scopes: `write` keys may also read. Requests are limited per key, or per address without one (@fastify/rate-limit,
// 429 with Retry-After); health probes are never limited.
//
// Hook order matters: the key is recognised first (so the limit can count per key), then the rate limit runs (so
// guessing keys is limited too), then access is enforced, all before the body is read.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { findApiKey } from '../config/api-keys.js';
import type { ApiKeyEntry, Config } from '../config/config.js';
import { AppError } from '../errors/app-error.js';

/** What a route is, for access rules: searches and lookups, the write API, metrics, the API's documents, probes. */
export type RouteAccess = 'read' | 'write' | 'metrics' | 'docs' | 'health';

declare module 'fastify' {
  interface FastifyRequest {
    /** The configured key the request presented, or null. */
    apiKey: ApiKeyEntry | null;
    /** A key was presented that matches none. */
    unknownKey: boolean;
  }
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}

/** The key a request presents, if any: `Authorization: Bearer <key>` or `x-api-key: <key>`. */
function presentedKey(request: FastifyRequest): string | null {
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim() || null;
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header.trim() !== '' ? header.trim() : null;
}

/** The scope a route needs under this config, or null when it is open. */
export function requiredScope(access: RouteAccess | undefined, config: Pick<Config, 'readAccess' | 'metricsAccess' | 'docsAccess'>): 'read' | 'write' | null {
  switch (access) {
    case 'write':
      return 'write';
    case 'read':
      return config.readAccess === 'key' ? 'read' : null;
    case 'metrics':
      return config.metricsAccess === 'key' ? 'read' : null;
    case 'docs':
      return config.docsAccess === 'key' ? 'read' : null;
    default:
      return null;
  }
}

/** Throws UNAUTHORIZED or FORBIDDEN unless the request may use a route needing `scope`. */
export function checkAccess(request: Pick<FastifyRequest, 'apiKey' | 'unknownKey'>, scope: 'read' | 'write' | null, keysConfigured: boolean): void {
  if (request.unknownKey) throw new AppError('UNAUTHORIZED', 'the API key is not one this server knows');
  if (scope === null) return;
  if (!request.apiKey) {
    const how = keysConfigured ? 'send one as "Authorization: Bearer <key>"' : 'this server has none configured (vitrine keys new, then config apiKeys)';
    throw new AppError('UNAUTHORIZED', `this route needs an API key with scope ${scope}: ${how}`);
  }
  const scopes = request.apiKey.scopes;
  if (!scopes.includes(scope) && !(scope === 'read' && scopes.includes('write'))) {
    throw new AppError('FORBIDDEN', `the key ${request.apiKey.name} has scope ${scopes.join(', ')}; this route needs ${scope}`);
  }
}

export async function registerAccess(app: FastifyInstance, config: Config): Promise<void> {
  app.decorateRequest('apiKey', null);
  app.decorateRequest('unknownKey', false);
  app.addHook('onRequest', async (request) => {
    const key = presentedKey(request);
    if (key === null) return;
    request.apiKey = findApiKey(config.apiKeys, key);
    request.unknownKey = request.apiKey === null;
  });
  const keyLimits = config.apiKeys.some((k) => k.rateLimitPerMinute !== undefined);
  if (config.rateLimitPerMinute > 0 || keyLimits) {
    await app.register(rateLimit, {
      global: true,
      timeWindow: 60_000,
      max: (request) => request.apiKey?.rateLimitPerMinute ?? (config.rateLimitPerMinute > 0 ? config.rateLimitPerMinute : Number.MAX_SAFE_INTEGER),
      keyGenerator: (request) => (request.apiKey ? `key:${request.apiKey.name}` : `ip:${request.ip}`),
      allowList: (request) => request.routeOptions.config?.access === 'health',
      errorResponseBuilder: (request, context) =>
        new AppError('RATE_LIMITED', `more than ${context.max} requests a minute from this ${request.apiKey ? 'key' : 'address'}; retry in ${Math.ceil(context.ttl / 1000)} s`),
    });
  }
  app.addHook('onRequest', async (request, reply) => {
    const scope = requiredScope(request.routeOptions.config?.access, config);
    try {
      checkAccess(request, scope, config.apiKeys.length > 0);
    } catch (e) {
      if ((e as AppError).code === 'UNAUTHORIZED') reply.header('www-authenticate', 'Bearer realm="vitrine"');
      throw e;
    }
  });
}
