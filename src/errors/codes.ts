// The catalogue of error codes: each code, its HTTP status, and what it means. README's API section lists them.
export const ERROR_CODES = {
  BAD_REQUEST: { httpStatus: 400, description: 'The request is malformed or a parameter is out of range.' },
  EMPTY_QUERY: { httpStatus: 400, description: 'No text, image or productId was given, or the text is blank.' },
  UNKNOWN_FILTER_FIELD: { httpStatus: 400, description: 'A filter names a field the index does not have.' },
  INVALID_IMAGE: { httpStatus: 400, description: 'The upload or file is not a decodable image.' },
  UNSUPPORTED_MEDIA_TYPE: { httpStatus: 415, description: 'The content type is not JSON, multipart or an image.' },
  PAYLOAD_TOO_LARGE: { httpStatus: 413, description: 'The upload exceeds the byte or pixel limit.' },
  NOT_FOUND: { httpStatus: 404, description: 'The product, image or route does not exist.' },
  MODEL_NOT_FOUND: { httpStatus: 500, description: 'The model folder or id could not be loaded.' },
  MODEL_MISMATCH: { httpStatus: 409, description: 'The index was built with another model; re-index to use this one.' },
  CATALOG_ERROR: { httpStatus: 400, description: 'The catalog file is missing or unreadable.' },
  NO_INDEX: {
    httpStatus: 503,
    description: 'The store holds no index yet (never indexed); the message names the store and the index command.',
  },
  STORE_ERROR: { httpStatus: 503, description: 'The vector store failed or is unavailable.' },
  NOT_READY: { httpStatus: 503, description: 'The service is still loading its model or store.' },
  CONFIG_ERROR: { httpStatus: 500, description: 'The configuration is invalid.' },
  INTERNAL: { httpStatus: 500, description: 'An unexpected error; details are in the server log.' },
} as const satisfies Record<string, { httpStatus: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
