// The limits a client sees, from config: k and query length are settings; the default k and the largest
// offset are the search service's defaults (the context builds the service with the same numbers).
// TODO(arch-core): take these from `searchLimits(config)` once the composition root exposes it.
import type { ApiLimits } from '../api/limits.schema.js';
import type { Config } from '../config/config.js';
import { DEFAULT_SEARCH_LIMITS } from '../services/search.service.js';

export function apiLimits(config: Pick<Config, 'maxK' | 'maxQueryChars' | 'maxUploadBytes'>): ApiLimits {
  return {
    defaultK: DEFAULT_SEARCH_LIMITS.defaultK,
    maxK: config.maxK,
    maxOffset: DEFAULT_SEARCH_LIMITS.maxOffset,
    maxQueryChars: config.maxQueryChars,
    maxUploadBytes: config.maxUploadBytes,
  };
}
