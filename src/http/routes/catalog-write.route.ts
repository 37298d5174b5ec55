// The catalog write API: PUT /api/products/:id (JSON with an image URL, or multipart with the photo), DELETE
// /api/products/:id, and POST /api/products/batch. A photo is fetched (public http(s) URLs only) or read from the
// upload, checked to decode, kept in the configured image store, and the product goes through the same index service
// as `vitrine index` (ctx.indexer), as the one writer for the batch: INDEX_LOCKED while another process indexes.
// Every route needs a key with scope `write`.
import type { FastifyRequest } from 'fastify';
import {
  BatchResponseSchema,
  batchRequestSchema,
  ProductWriteSchema,
  productWriteFormSchema,
  WriteResultSchema,
  type BatchResponse,
  type WriteResult,
} from '../../api/catalog.schema.js';
import { ProductParamsSchema } from '../../api/search.schema.js';
import type { AppContext } from '../../context.js';
import type { Attributes, Product } from '../../domain/types.js';
import { AppError, errorMessage } from '../../errors/app-error.js';
import { productIdProblem } from '../../stores/catalog/read-catalog.js';
import { sniffContentType } from '../../stores/images/image-store.js';
import { readMultipart } from '../content-types.js';
import { checkJsonDepth } from '../json-body.js';
import { parseFields } from '../request-parse.js';
import type { RouteSpec } from '../route.js';

/** Write requests allowed to wait for the writer's turn in this process; more answer OVERLOADED. */
const MAX_WAITING_WRITES = 16;
/** Photos of one batch fetched at once. */
const FETCHES_AT_ONCE = 4;

function checkId(id: string): void {
  const problem = productIdProblem(id);
  if (problem) throw new AppError('BAD_REQUEST', problem);
}

function attributesOf(raw: Record<string, string | number | boolean> | undefined): Attributes {
  const out: Attributes = {};
  for (const [field, value] of Object.entries(raw ?? {})) {
    const text = String(value).trim();
    if (text !== '') out[field] = text;
  }
  return out;
}

/**
 * The product to index, its photo checked and kept: a photo that does not decode is refused before it is stored,
 * so it never replaces the photo of the product as it is indexed now.
 */
async function productWithPhoto(ctx: AppContext, fields: { id: string; title: string; attributes: Attributes }, bytes: Buffer): Promise<Product> {
  await ctx.embedder.preprocessImage(bytes);
  const imageRef = await ctx.imageStore.put(fields.id, bytes, sniffContentType(bytes));
  return { ...fields, imageRef };
}

/** The fields and photo of a PUT: JSON with imageUrl, or a multipart form with the photo as `image`. */
async function readProductWrite(ctx: AppContext, request: FastifyRequest, formSchema: ReturnType<typeof productWriteFormSchema>): Promise<{ title: string; attributes: Attributes; photo: Buffer }> {
  if (request.isMultipart()) {
    const { fields, image } = await readMultipart(request, { fileFields: ['image'] });
    const { title } = parseFields(formSchema.omit({ image: true }), fields);
    if (!image) throw new AppError('BAD_REQUEST', 'send the photo as the multipart file field "image"');
    let attributes: Record<string, string | number | boolean> | undefined;
    if (fields.attributes !== undefined) {
      checkJsonDepth(fields.attributes, 4, 'attributes');
      attributes = parseFields(ProductWriteSchema.pick({ attributes: true }), { attributes: fields.attributes }).attributes;
    }
    return { title, attributes: attributesOf(attributes), photo: image };
  }
  const body = request.body;
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('BAD_REQUEST', 'send a JSON object such as {"title": "Red dress", "imageUrl": "https://...", "attributes": {"colour": "Red"}} or a multipart form with the photo');
  }
  const { title, attributes, imageUrl } = parseFields(ProductWriteSchema, body as Record<string, unknown>);
  return { title, attributes: attributesOf(attributes), photo: await ctx.fetchImageUrl(imageUrl) };
}

/** Runs `fn` on every item, `limit` at a time, keeping the order. */
async function mapLimited<I, O>(items: readonly I[], limit: number, fn: (item: I) => Promise<O>): Promise<O[]> {
  const out: O[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export const catalogWriteRoutes: RouteSpec[] = [
  {
    method: 'PUT',
    url: '/api/products/:id',
    access: 'write',
    doc: (limits) => ({
      summary: 'Add or replace a product (JSON with an image URL, or multipart with the photo); needs a key with scope write',
      params: ProductParamsSchema,
      body: { json: ProductWriteSchema, form: productWriteFormSchema(limits) },
      responses: { 200: { description: 'indexed, or unchanged', schema: WriteResultSchema } },
      errors: [400, 401, 403, 409, 413, 415, 429, 503],
    }),
    handler: ({ ready, limits }) => {
      const formSchema = productWriteFormSchema(limits);
      return async (request): Promise<WriteResult> => {
        const ctx = ready();
        const { id } = parseFields(ProductParamsSchema, request.params as Record<string, unknown>);
        checkId(id);
        const { title, attributes, photo } = await readProductWrite(ctx, request, formSchema);
        const product = await productWithPhoto(ctx, { id, title, attributes }, photo);
        const [result] = await ctx.indexer.writeBatch({ upsert: [product], delete: [] }, { maxWaiting: MAX_WAITING_WRITES });
        if (result.outcome === 'failed') throw new AppError('STORE_ERROR', `product ${id} could not be indexed: ${result.reason}`);
        return result;
      };
    },
  },
  {
    method: 'DELETE',
    url: '/api/products/:id',
    access: 'write',
    doc: () => ({
      summary: 'Remove a product from the index; needs a key with scope write',
      params: ProductParamsSchema,
      responses: { 200: { description: 'deleted', schema: WriteResultSchema } },
      errors: [401, 403, 404, 409, 429, 503],
    }),
    handler: ({ ready }) =>
      async (request): Promise<WriteResult> => {
        const ctx = ready();
        const { id } = parseFields(ProductParamsSchema, request.params as Record<string, unknown>);
        const [result] = await ctx.indexer.writeBatch({ upsert: [], delete: [id] }, { maxWaiting: MAX_WAITING_WRITES });
        if (result.outcome === 'absent') throw new AppError('NOT_FOUND', `product ${id} is not in the index`);
        return result;
      },
  },
  {
    method: 'POST',
    url: '/api/products/batch',
    access: 'write',
    bodyLimit: (config) => config.maxBatchBytes,
    doc: () => ({
      summary: 'Add, replace and remove many products in one write (photos by URL); needs a key with scope write',
      body: { json: batchRequestSchema(1) },
      responses: { 200: { description: 'What became of each product and id', schema: BatchResponseSchema } },
      errors: [400, 401, 403, 409, 413, 429, 503],
    }),
    handler: ({ ready, config }) => {
      const schema = batchRequestSchema(config.maxBatchItems);
      return async (request): Promise<BatchResponse> => {
        const ctx = ready();
        const body = parseFields(schema, (request.body ?? {}) as Record<string, unknown>);
        const seen = new Set<string>();
        // Each product's photo is fetched, checked and stored first; one that fails is that product's failure.
        const prepared = await mapLimited(body.upsert ?? [], FETCHES_AT_ONCE, async (item): Promise<Product | WriteResult> => {
          try {
            checkId(item.id);
            if (seen.has(item.id)) throw new AppError('BAD_REQUEST', 'the id is in the batch twice');
            seen.add(item.id);
            const photo = await ctx.fetchImageUrl(item.imageUrl);
            return await productWithPhoto(ctx, { id: item.id, title: item.title, attributes: attributesOf(item.attributes) }, photo);
          } catch (e) {
            return { id: item.id, outcome: 'failed', reason: errorMessage(e) };
          }
        });
        const products = prepared.filter((p): p is Product => 'imageRef' in p);
        const written = await ctx.indexer.writeBatch({ upsert: products, delete: body.delete ?? [] }, { maxWaiting: MAX_WAITING_WRITES });
        const byId = new Map(written.slice(0, products.length).map((r) => [r.id, r]));
        const results: WriteResult[] = [...prepared.map((p) => ('imageRef' in p ? byId.get(p.id)! : p)), ...written.slice(products.length)];
        return { results, failed: results.filter((r) => r.outcome === 'failed').length };
      };
    },
  },
];
