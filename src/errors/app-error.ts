// One error type for everything the application reports on purpose. Adapters translate library errors into
// AppError at their edge; the HTTP layer and the CLI turn AppError into a status/exit code and a clear message.
import { ERROR_CODES, type ErrorCode } from './codes.js';

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.httpStatus = ERROR_CODES[code].httpStatus;
    this.details = options.details;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** Message of any thrown value, for logs and per-item failure reasons. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
