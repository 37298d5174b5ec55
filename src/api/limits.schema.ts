// The search limits a client must respect, on the wire: the OpenAPI document, `GET /api/limits` and the web
// page all take them from the server's config through this one shape, so `VITRINE_MAX_K` shows everywhere. The
// default search mode and the accepted photo formats travel with them, so the page offers what the server does.
import { z } from 'zod';
import { SearchModeSchema } from './search.schema.js';

export const ApiLimitsSchema = z.object({
  defaultK: z.number().int().positive().meta({ description: 'Hits per page when a search gives no k.' }),
  maxK: z.number().int().positive().meta({ description: 'Largest k a search accepts.' }),
  maxOffset: z.number().int().nonnegative().meta({ description: 'Largest offset a search accepts.' }),
  maxQueryChars: z.number().int().positive().meta({ description: 'Longest query text, in characters.' }),
  maxUploadBytes: z.number().int().positive().meta({ description: 'Largest photo upload, in bytes.' }),
  defaultMode: SearchModeSchema.meta({ description: 'Mode of a text search that names none.' }),
  imageFormats: z.array(z.string()).meta({ description: 'Photo formats a search accepts (names as users know them: JPEG, PNG, ...); others are INVALID_IMAGE.' }),
  imageTypes: z.array(z.string()).meta({ description: 'The media types of those formats (image/jpeg, ...), e.g. for a file picker.' }),
  maxFilterValues: z.number().int().positive().meta({ description: 'Filter values in one request, all fields together.' }),
});

export type ApiLimits = z.infer<typeof ApiLimitsSchema>;
