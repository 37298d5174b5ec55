// The one error handler: an AppError answers its status and {code, message}; Fastify's own 4xx (body too
// large, wrong media type, bad JSON) are mapped to catalogue codes; anything else is a 500 INTERNAL whose
// details go only to the server log, with the request id the client can quote.
import type { FastifyInstance } from 'fastify';
import type { ErrorBody } from '../api/status.schema.js';
import { isAppError } from '../errors/app-error.js';

export interface ErrorHandlingOptions {
  /** Quoted in the 413 message. */
  maxUploadBytes: number;
}

export function installErrorHandling(app: FastifyInstance, options: ErrorHandlingOptions): void {
  app.setErrorHandler((error: unknown, request, reply) => {
    const answer = (status: number, body: ErrorBody) => reply.status(status).send(body);
    if (isAppError(error)) {
      if (error.httpStatus >= 500) request.log.error({ err: error }, error.message);
      return answer(error.httpStatus, { code: error.code, message: error.message });
    }
    const e = error as { statusCode?: number; code?: string; message?: string };
    if (e.code === 'FST_REQ_FILE_TOO_LARGE' || e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.statusCode === 413) {
      return answer(413, { code: 'PAYLOAD_TOO_LARGE', message: `the request is larger than the limit (${options.maxUploadBytes} bytes for uploads)` });
    }
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || e.statusCode === 415) {
      return answer(415, { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send application/json or multipart/form-data' });
    }
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      return answer(e.statusCode, { code: 'BAD_REQUEST', message: e.message ?? 'bad request' });
    }
    request.log.error({ err: error }, 'unexpected error');
    return answer(500, { code: 'INTERNAL', message: `internal error; quote request id ${request.id} to the operator` });
  });
  app.setNotFoundHandler((request, reply) => {
    const body: ErrorBody = { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` };
    reply.status(404).send(body);
  });
}
