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

/** Multipart errors that are the client's doing: limits (413) and malformed bodies, which the parser reports plainly. */
function multipartError(e: unknown): unknown {
  const { statusCode, code } = e as { statusCode?: number; code?: string };
  if (e instanceof AppError || statusCode === 413) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || /boundary/i.test(message)) {
    return new AppError('BAD_REQUEST', 'malformed multipart body: multipart/form-data needs a boundary');
  }
  // Busboy's words ("Unexpected end of form", "Malformed part header") say what is wrong and hold nothing internal.
  return new AppError('BAD_REQUEST', `malformed multipart body: ${message}`, { cause: e });
}

/** The fields and photo of a multipart body; a body the parser cannot read is a BAD_REQUEST, never a 500. */
export async function readMultipart(request: FastifyRequest, options: { fileFields?: readonly string[] } = {}): Promise<MultipartBody> {
  const fileFields = options.fileFields ?? ['image', 'image_file'];
  const fields: Record<string, string> = {};
  let image: Buffer | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        if (!fileFields.includes(part.fieldname)) {
          await part.toBuffer();
          throw new AppError('BAD_REQUEST', `unexpected file field ${part.fieldname}; send the photo as "${fileFields[0]}"`);
        }
        image = await part.toBuffer();
      } else {
        fields[part.fieldname] = String(part.value);
      }
    }
  } catch (e) {
    throw multipartError(e);
  }
  return { fields, image };
}
