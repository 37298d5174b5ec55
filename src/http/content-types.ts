// The request bodies the API reads: JSON (Fastify's own), multipart forms with one photo, and the seed
// client's x-www-form-urlencoded posts. Upload size is limited here, before any decoding.
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.js';

export interface ContentTypeOptions {
  maxUploadBytes: number;
}

export async function registerContentTypes(app: FastifyInstance, options: ContentTypeOptions): Promise<void> {
  await app.register(multipart, { limits: { fileSize: options.maxUploadBytes, files: 1, fields: 20, fieldSize: 100_000 } });
  // The seed client posts with content-type x-www-form-urlencoded and its parameters in the query string.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
}

/** A multipart body: its text fields, and the photo (field `image`, or the seed's `image_file`) if sent. */
export interface MultipartBody {
  fields: Record<string, string>;
  image?: Buffer;
}

export async function readMultipart(request: FastifyRequest): Promise<MultipartBody> {
  const fields: Record<string, string> = {};
  let image: Buffer | undefined;
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      if (part.fieldname !== 'image' && part.fieldname !== 'image_file') {
        await part.toBuffer();
        throw new AppError('BAD_REQUEST', `unexpected file field ${part.fieldname}; send the photo as "image"`);
      }
      image = await part.toBuffer();
    } else {
      fields[part.fieldname] = String(part.value);
    }
  }
  return { fields, image };
}
