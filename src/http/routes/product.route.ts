// GET /api/products/:id: one indexed product (the web page's caption for a "more like this" link).
import { ProductParamsSchema, ProductSchema, type Product } from '../../api/search.schema.js';
import { AppError } from '../../errors/app-error.js';
import { parseFields } from '../request-parse.js';
import type { RouteSpec } from '../route.js';
import { toWireProduct } from '../wire-mapping.js';

export const productRoute: RouteSpec = {
  method: 'GET',
  url: '/api/products/:id',
  access: 'read',
  doc: () => ({
    summary: 'One indexed product',
    params: ProductParamsSchema,
    responses: { 200: { description: 'The product', schema: ProductSchema } },
    errors: [404],
  }),
  handler: ({ ready }) =>
    async (request): Promise<Product> => {
      const { id } = parseFields(ProductParamsSchema, request.params as Record<string, unknown>);
      const item = await ready().store.get(id);
      if (!item) throw new AppError('NOT_FOUND', `product ${id} is not in the index`);
      return toWireProduct(item);
    },
};
