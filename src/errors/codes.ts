// The catalogue of error codes: each code, its HTTP status, and what it means. README's API section lists them.
// `retryAfterSeconds` marks the answers a client should simply retry: the HTTP layer sends it as Retry-After.
export const ERROR_CODES = {
  BAD_REQUEST: { httpStatus: 400, description: 'The request is malformed or a parameter is out of range.' },
  EMPTY_QUERY: { httpStatus: 400, description: 'No text, image or productId was given, or the text is blank.' },
  UNKNOWN_FILTER_FIELD: { httpStatus: 400, description: 'A filter names a field the index does not have.' },
  INVALID_IMAGE: { httpStatus: 400, description: 'The upload or file is not a decodable image.' },
  UNSUPPORTED_MEDIA_TYPE: { httpStatus: 415, description: 'The content type is not JSON, multipart or an image.' },
  PAYLOAD_TOO_LARGE: { httpStatus: 413, description: 'The upload exceeds the byte or pixel limit.' },
  UNAUTHORIZED: { httpStatus: 401, description: 'The route needs an API key and none, or an unknown one, was sent.' },
  FORBIDDEN: { httpStatus: 403, description: "The API key lacks the route's scope (read or write)." },
  NOT_FOUND: { httpStatus: 404, description: 'The product, image or route does not exist.' },
  RATE_LIMITED: { httpStatus: 429, description: 'Too many requests from this key or address; wait for Retry-After.', retryAfterSeconds: 1 },
  MODEL_NOT_FOUND: { httpStatus: 500, description: 'The model folder or id could not be loaded.' },
  MODEL_MISMATCH: { httpStatus: 409, description: 'The index was built with another model; re-index to use this one.' },
  INDEX_LOCKED: {
    httpStatus: 409,
    description: 'Another writer (vitrine index, delete, migrate or the write API) holds the index; retry when it is done.',
    retryAfterSeconds: 5,
  },
  CATALOG_ERROR: { httpStatus: 400, description: 'The catalog file is missing or unreadable.' },
  NO_INDEX: {
    httpStatus: 503,
    description: 'The store holds no index yet (never indexed); the message names the store and the index command.',
  },
  INDEX_CORRUPT: {
    httpStatus: 503,
    description: 'The index is damaged (manifest missing or not matching the data, a data file changed on disk); vitrine verify tells what.',
  },
  STORE_ERROR: { httpStatus: 503, description: 'The vector store failed or is unavailable.', retryAfterSeconds: 1 },
  STORAGE_FULL: { httpStatus: 507, description: 'The disk (or quota) holding the index or photos is full; the index is unchanged.' },
  OVERLOADED: { httpStatus: 503, description: 'Too much encoding work is queued; retry after Retry-After.', retryAfterSeconds: 1 },
  NOT_READY: { httpStatus: 503, description: 'The service is still loading its model or store.', retryAfterSeconds: 1 },
  CONFIG_ERROR: { httpStatus: 500, description: 'The configuration is invalid.' },
  INTERNAL: { httpStatus: 500, description: 'An unexpected error; details are in the server log.' },
} as const satisfies Record<string, { httpStatus: number; description: string; retryAfterSeconds?: number }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Seconds a client should wait before retrying an answer with this code, or undefined when retrying will not help. */
export function retryAfterSeconds(code: ErrorCode): number | undefined {
  const entry: { httpStatus: number; retryAfterSeconds?: number } = ERROR_CODES[code];
  return entry.retryAfterSeconds;
}
