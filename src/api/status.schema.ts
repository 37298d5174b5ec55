// Wire shapes every route shares or that serve operators: the error body, liveness and readiness.
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../errors/codes.js';

const codes = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** Every error answer: `{code, message}`, never a stack trace. */
export const ErrorBodySchema = z.object({ code: z.enum(codes), message: z.string() }).meta({
  description: Object.entries(ERROR_CODES)
    .map(([code, e]) => `${code} (${e.httpStatus}): ${e.description}`)
    .join('\n'),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export const HealthSchema = z.object({ status: z.literal('ok') });
export type Health = z.infer<typeof HealthSchema>;

export const ReadinessSchema = z.object({
  status: z.enum(['ready', 'empty']).meta({
    description: '`ready`: the index answers searches; `empty`: the store was never indexed (searches answer NO_INDEX; the write API can fill it).',
  }),
  model: z.string().meta({ description: 'Id of the loaded model.' }),
  modelHash: z.string().meta({ description: 'SHA-256 of the model files; the index was built with the same.' }),
  dimension: z.number().int().meta({ description: 'Embedding dimension.' }),
  count: z.number().int().meta({ description: 'Products in the index.' }),
  search: z
    .object({
      mode: z.enum(['exact', 'ann', 'loading', 'store']),
      ann: z.string().optional(),
    })
    .meta({
      description:
        'Where searches are answered: exact or ann (HNSW above annMinProducts, its settings in `ann`) from the index held in memory, loading while that copy loads, or store (the vector store itself; its search and approximate-search settings in `ann`, such as pgvector\'s hnsw.ef_search).',
    }),
});
export type Readiness = z.infer<typeof ReadinessSchema>;
