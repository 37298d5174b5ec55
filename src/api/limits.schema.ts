// The search limits a client must respect, on the wire: the OpenAPI document, `GET /api/limits` and the web
// page all take them from the server's config through this one shape, so `VITRINE_MAX_K` shows everywhere.
import { z } from 'zod';

export const ApiLimitsSchema = z.object({
  defaultK: z.number().int().positive().meta({ description: 'Hits per page when a search gives no k.' }),
  maxK: z.number().int().positive().meta({ description: 'Largest k a search accepts.' }),
  maxOffset: z.number().int().nonnegative().meta({ description: 'Largest offset a search accepts.' }),
  maxQueryChars: z.number().int().positive().meta({ description: 'Longest query text, in characters.' }),
  maxUploadBytes: z.number().int().positive().meta({ description: 'Largest photo upload, in bytes.' }),
  maxFilterValues: z.number().int().positive().meta({ description: 'Filter values in one request, all fields together.' }),
});

export type ApiLimits = z.infer<typeof ApiLimitsSchema>;
