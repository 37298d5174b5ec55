// The limits a client sees, from config (the same numbers the composition root gives the search service), plus
// the upload size and filter count the HTTP layer enforces.
import type { ApiLimits } from '../api/limits.schema.js';
import { searchLimits, type Config } from '../config/config.js';

export function apiLimits(config: Config): ApiLimits {
  return { ...searchLimits(config), maxUploadBytes: config.maxUploadBytes, maxFilterValues: config.maxFilterValues };
}
