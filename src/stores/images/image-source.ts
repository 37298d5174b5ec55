// Loads the bytes of a catalog image from a local path or an http(s) URL, with a size cap and a timeout.
import { open } from 'node:fs/promises';
import { AppError, errorMessage } from '../../errors/app-error.js';

export interface ImageSourceOptions {
  maxBytes: number;
  timeoutMs: number;
}

export async function loadImageBytes(ref: string, options: ImageSourceOptions): Promise<Buffer> {
  if (/^https?:\/\//i.test(ref)) {
    let response: Response;
    try {
      response = await fetch(ref, { signal: AbortSignal.timeout(options.timeoutMs) });
    } catch (e) {
      throw new AppError('NOT_FOUND', `could not fetch ${ref}: ${errorMessage(e)}`, { cause: e });
    }
    if (!response.ok) throw new AppError('NOT_FOUND', `could not fetch ${ref}: HTTP ${response.status}`);
    const declared = Number(response.headers.get('content-length'));
    if (declared > options.maxBytes) throw new AppError('PAYLOAD_TOO_LARGE', `${ref} is ${declared} bytes; the limit is ${options.maxBytes}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    if (bytes.length > options.maxBytes) throw new AppError('PAYLOAD_TOO_LARGE', `${ref} is ${bytes.length} bytes; the limit is ${options.maxBytes}`);
    return bytes;
  }
  let handle;
  try {
    handle = await open(ref, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AppError('NOT_FOUND', code === 'ENOENT' ? `image file ${ref} does not exist` : `image file ${ref} could not be opened (${code})`, { cause: e });
  }
  try {
    const { size } = await handle.stat();
    if (size > options.maxBytes) throw new AppError('PAYLOAD_TOO_LARGE', `${ref} is ${size} bytes; the limit is ${options.maxBytes}`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
