// The limits a client sees, from config (the same numbers the composition root gives the search service), plus
// the upload size and filter count the HTTP layer enforces and the photo formats the decoder accepts.
import type { ApiLimits } from '../api/limits.schema.js';
import { searchLimits, type Config } from '../config/config.js';
import { ACCEPTED_IMAGE_FORMATS } from '../model/image-decode.js';

export function apiLimits(config: Config): ApiLimits {
  return {
    ...searchLimits(config),
    maxUploadBytes: config.maxUploadBytes,
    maxFilterValues: config.maxFilterValues,
    defaultMode: config.searchMode,
    imageFormats: ACCEPTED_IMAGE_FORMATS.map((f) => f.name),
    imageTypes: ACCEPTED_IMAGE_FORMATS.flatMap((f) => f.mimeTypes),
  };
}
