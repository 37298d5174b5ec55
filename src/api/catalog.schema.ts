// Request and response shapes of the catalog write API (PUT/DELETE /api/products/:id, POST /api/products/batch),
// declared once: the server parses requests with them, the OpenAPI document is generated from them, and clients
// import their types. A photo comes as an http(s) URL (JSON) or as an upload (multipart); never as a path.
import { z } from 'zod';
import type { ApiLimits } from './limits.schema.js';

const attributeValue = z.union([z.string(), z.number(), z.boolean()]);

export const ProductAttributesSchema = z
  .record(z.string(), attributeValue, { error: 'attributes must be a JSON object of field -> text' })
  .meta({ description: 'Attribute fields (usable in filters and facets); values are stored as text.' });

const title = z.string({ error: 'title must be a string' }).trim().min(1, 'title must not be empty').max(1000, 'title is longer than 1000 characters');
const imageUrl = z
  .string({ error: 'imageUrl must be a string' })
  .max(4096, 'imageUrl is longer than 4096 characters')
  .meta({ description: 'http(s) URL of the photo; it is fetched once and kept in the image store. Private, loopback and link-local addresses are refused unless configured.' });

/** PUT /api/products/:id as JSON. */
export const ProductWriteSchema = z.object({
  title,
  attributes: ProductAttributesSchema.optional(),
  imageUrl,
});
export type ProductWrite = z.infer<typeof ProductWriteSchema>;

/** PUT /api/products/:id as a multipart form with the photo. */
export function productWriteFormSchema(limits: ApiLimits) {
  return z.object({
    title,
    attributes: z.string().optional().meta({ description: 'attributes as a JSON string' }),
    image: z.file().meta({ description: `JPEG, PNG, WebP, GIF, AVIF or TIFF photo, at most ${limits.maxUploadBytes} bytes.` }),
  });
}

/** What became of one product of a write. */
export const WriteOutcomeSchema = z.enum(['indexed', 'unchanged', 'deleted', 'absent', 'failed']).meta({
  description: 'indexed: embedded and written; unchanged: same photo, title and attributes as stored; deleted / absent: a delete of a product that was / was not there; failed: see reason.',
});

export const WriteResultSchema = z.object({
  id: z.string(),
  outcome: WriteOutcomeSchema,
  reason: z.string().optional().meta({ description: 'Why it failed.' }),
});
export type WriteResult = z.infer<typeof WriteResultSchema>;

export const BatchItemSchema = ProductWriteSchema.extend({ id: z.string({ error: 'id must be a string' }) });

/** POST /api/products/batch: products to write and ids to delete, at most maxBatchItems in all. */
export function batchRequestSchema(maxItems: number) {
  return z
    .object({
      upsert: z.array(BatchItemSchema, { error: 'upsert must be an array of products' }).optional(),
      delete: z.array(z.string(), { error: 'delete must be an array of ids' }).optional(),
    })
    .refine((b) => (b.upsert?.length ?? 0) + (b.delete?.length ?? 0) <= maxItems, `a batch holds at most ${maxItems} products and deletes`)
    .refine((b) => (b.upsert?.length ?? 0) + (b.delete?.length ?? 0) > 0, 'the batch is empty: send upsert and/or delete');
}
export type BatchRequest = z.infer<ReturnType<typeof batchRequestSchema>>;

export const BatchResponseSchema = z.object({
  results: z.array(WriteResultSchema).meta({ description: 'One per product or id of the request, in its order (upserts first).' }),
  failed: z.number().int().meta({ description: 'How many results failed.' }),
});
export type BatchResponse = z.infer<typeof BatchResponseSchema>;
