// GET /images/:id: the photo of an indexed product. The id is only ever a lookup key: the file path comes
// from the index, never from the request. Remote photos are redirected to.
import { existsSync } from 'node:fs';
import { ProductParamsSchema } from '../../api/search.schema.js';
import { AppError } from '../../errors/app-error.js';
import { probeImage } from '../../model/image-decode.js';
import { parseFields } from '../request-parse.js';
import type { RouteSpec } from '../route.js';

const MIME: Record<string, string> = {
  jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', avif: 'image/avif', heif: 'image/heif', tiff: 'image/tiff', svg: 'image/svg+xml',
};

export const imageRoute: RouteSpec = {
  method: 'GET',
  url: '/images/:id',
  access: 'read',
  doc: () => ({
    summary: 'The photo of an indexed product (local files are served; remote images are redirected)',
    params: ProductParamsSchema,
    responses: { 200: { description: 'Image bytes', mediaType: 'image/*' }, 302: { description: 'Remote image' } },
    errors: [404],
  }),
  handler: ({ ready }) =>
    async (request, reply) => {
      const { id } = parseFields(ProductParamsSchema, request.params as Record<string, unknown>);
      const ctx = ready();
      const item = await ctx.store.get(id);
      if (!item) throw new AppError('NOT_FOUND', `product ${id} is not in the index`);
      if (/^https?:\/\//i.test(item.imageRef)) return reply.redirect(item.imageRef, 302);
      if (!existsSync(item.imageRef)) throw new AppError('NOT_FOUND', `the image of product ${id} is no longer on disk`);
      const bytes = await ctx.loadImage(item.imageRef);
      const { format } = await probeImage(bytes, { maxBytes: Infinity, maxPixels: Infinity });
      return reply.type(MIME[format] ?? 'application/octet-stream').header('cache-control', 'public, max-age=3600').send(bytes);
    },
};
