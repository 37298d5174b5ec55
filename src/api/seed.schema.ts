// The original Python service's routes, kept so its client.py works unchanged: the query text comes in the
// query string (or a form body), the photo as multipart field `image_file`, and the answer is a list of URLs
// or an HTML page of the top hits.
import { z } from 'zod';

export const SeedTextQuerySchema = z.object({
  text_query: z
    .string({ error: 'text_query is required' })
    .refine((text) => text.trim() !== '', 'text_query is required')
    .meta({ description: 'The query text.' }),
});

export const SeedImageFormSchema = z.object({ image_file: z.file().meta({ description: 'The query photo.' }) });

export const SeedUrlsSchema = z.array(z.string()).meta({ description: 'Image URLs of the hits, best first.' });
export type SeedUrls = z.infer<typeof SeedUrlsSchema>;
