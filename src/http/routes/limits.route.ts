// GET /api/limits: the search limits from the server's config, so a client (the web page) pages and checks
// with the same numbers the server enforces.
import { ApiLimitsSchema, type ApiLimits } from '../../api/limits.schema.js';
import type { RouteSpec } from '../route.js';

export const limitsRoute: RouteSpec = {
  method: 'GET',
  url: '/api/limits',
  access: 'read',
  doc: () => ({ summary: 'Search limits from the configuration (k, offset, query length, upload size)', responses: { 200: { description: 'Limits', schema: ApiLimitsSchema } } }),
  handler: ({ limits }) => async (): Promise<ApiLimits> => limits,
};
