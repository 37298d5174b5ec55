// The one error handler: an AppError answers its status and {code, message}; Fastify's own 4xx (body too
// large, wrong media type, bad JSON) are mapped to catalogue codes; anything else is a 500 INTERNAL whose
// details go only to the server log, with the request id the client can quote. Server-side failures (5xx) never
// carry their own message to the client: it may hold file paths, hosts or a library's source locations, so the
// client gets the catalogue's words and the request id, and the log gets the rest. Answers a client should simply
// retry (a store outage, a full queue, a held writer lock) carry Retry-After.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ErrorBody } from '../api/status.schema.js';
import { isAppError } from '../errors/app-error.js';
import { ERROR_CODES, retryAfterSeconds, type ErrorCode } from '../errors/codes.js';

export interface ErrorHandlingOptions {
  /** Quoted in the 413 message. */
  maxUploadBytes: number;
}

/** The largest refused body read past so that its 413 arrives (see FST_ERR_CTP_BODY_TOO_LARGE below). */
const DRAIN_MAX_BYTES = 16 * 1024 * 1024;

/** Reads a request body to its end and drops it. */
function readPast(raw: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    raw.on('end', resolve);
    raw.on('error', () => resolve());
    raw.on('close', () => resolve());
    raw.resume();
  });
}

/** Server-side codes whose messages stay in the log; NO_INDEX and NOT_READY say nothing internal and pass through. */
const LOGGED_ONLY = new Set<ErrorCode>(['STORE_ERROR', 'STORAGE_FULL', 'INDEX_CORRUPT', 'MODEL_NOT_FOUND', 'CONFIG_ERROR', 'INTERNAL']);

/** The answer for a code, with Retry-After where retrying helps. */
export function sendError(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  const seconds = retryAfterSeconds(code);
  if (seconds !== undefined && !reply.hasHeader('retry-after')) reply.header('retry-after', String(seconds));
  const body: ErrorBody = { code, message };
  return reply.status(ERROR_CODES[code].httpStatus).send(body);
}

export function installErrorHandling(app: FastifyInstance, options: ErrorHandlingOptions): void {
  app.setErrorHandler((error: unknown, request, reply) => {
    if (isAppError(error)) {
      if (error.httpStatus >= 500) request.log.error({ err: error, code: error.code }, error.message);
      if (!LOGGED_ONLY.has(error.code)) return sendError(reply, error.code, error.message);
      return sendError(reply, error.code, `${ERROR_CODES[error.code].description} Quote request id ${request.id} to the operator.`);
    }
    const e = error as { statusCode?: number; code?: string; message?: string };
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const answer = () => sendError(reply, 'PAYLOAD_TOO_LARGE', `the body is larger than this route's limit of ${request.routeOptions.bodyLimit ?? 'its'} bytes`);
      // Refused on its Content-Length, before it was read. Fastify closes the connection then, and a client still
      // sending gets its socket reset instead of the 413 (2-4 of 40 one-megabyte requests here). A body of a
      // bounded size is read past (nothing kept; the request timeout still applies) and the 413 goes out on an open
      // connection; a bigger one keeps the close.
      const length = Number(request.headers['content-length']);
      if (!(length <= DRAIN_MAX_BYTES) || request.raw.readableEnded) return answer();
      reply.removeHeader('connection');
      return readPast(request.raw).then(answer);
    }
    if (e.code === 'FST_REQ_FILE_TOO_LARGE' || e.statusCode === 413) {
      return sendError(reply, 'PAYLOAD_TOO_LARGE', `the request is larger than the limit (${options.maxUploadBytes} bytes for uploads)`);
    }
    if (e.statusCode === 429) return sendError(reply, 'RATE_LIMITED', e.message ?? 'too many requests');
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || e.statusCode === 415) {
      return sendError(reply, 'UNSUPPORTED_MEDIA_TYPE', 'send application/json or multipart/form-data');
    }
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      return sendError(reply, 'BAD_REQUEST', e.message ?? 'bad request');
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendError(reply, 'INTERNAL', `internal error; quote request id ${request.id} to the operator`);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
}
